package io.kvstore.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Xxh64Test {

    private static final long PRIME32 = 2654435761L;
    private static final long PRIME64 = 0x9E3779B185EBCA8DL; // 11400714785074694797, as in xsum_sanity_check.c

    /** xxHash's sanity buffer: byte i is the top byte of PRIME32 * PRIME64^i (mod 2^64). */
    private static byte[] sanityBuffer(int length) {
        byte[] out = new byte[length];
        long gen = PRIME32;
        for (int i = 0; i < length; i++) {
            out[i] = (byte) (gen >>> 56);
            gen *= PRIME64;
        }
        return out;
    }

    /** The XXH64 vectors published in xxHash's cli/xsum_sanity_check.c (lengths 0, 1, 4, 14, 222). */
    @ParameterizedTest(name = "len {0} seed {1}")
    @CsvSource({
        "0, 0, EF46DB3751D8E999",
        "0, 9E3779B1, AC75FDA2929B17EF",
        "1, 0, E934A84ADB052768",
        "1, 9E3779B1, 5014607643A9B4C3",
        "4, 0, 9136A0DCA57457EE",
        "14, 0, 8282DCC4994E35C8",
        "14, 9E3779B1, C3BD6BF63DEB6DF0",
        "222, 0, B641AE8CB691C174",
        "222, 9E3779B1, 20CB8AB7AE10C14A",
    })
    void matchesPublishedSanityVectors(int length, String seedHex, String expectedHex) {
        byte[] data = sanityBuffer(length);
        long seed = Long.parseUnsignedLong(seedHex, 16);
        long expected = Long.parseUnsignedLong(expectedHex, 16);

        assertThat(Xxh64.hash(data, 0, length, seed)).isEqualTo(expected);
        assertThat(Xxh64.hash(ByteBuffer.wrap(data), 0, length, seed)).isEqualTo(expected);
    }

    @Test
    void matchesWellKnownStrings() {
        assertThat(Xxh64.hash(new byte[0])).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(Xxh64.hash("a".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0xD24EC4F1A98C6E5BL);
        assertThat(Xxh64.hash("abc".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0x44BC2CF5AD770999L);
    }

    /**
     * Every line of xxh64-vectors.txt, generated once with Debian's python3-xxhash (see gen-xxh64-vectors.py):
     * every length 0..300 of the sanity buffer with two seeds (every combination of 32-byte stripes and
     * 8/4/1-byte tails), and 400 random inputs, half with random seeds. Checked through byte[] (at offset 0
     * and inside a larger array) and through heap and direct ByteBuffers at an offset.
     */
    @Test
    void matchesVectorsFromReferenceImplementation() throws IOException {
        List<String[]> lines = readVectors();
        assertThat(lines).hasSizeGreaterThan(1000);
        byte[] sanity = sanityBuffer(300);
        for (String[] f : lines) {
            byte[] data = switch (f[0]) {
                case "sanity" -> java.util.Arrays.copyOf(sanity, Integer.parseInt(f[1]));
                case "bytes" -> f[1].equals("-") ? new byte[0] : HexFormat.of().parseHex(f[1]);
                default -> throw new AssertionError("bad vector line " + String.join(" ", f));
            };
            long seed = Long.parseUnsignedLong(f[2], 16);
            long expected = Long.parseUnsignedLong(f[3], 16);
            String what = String.join(" ", f[0], f[0].equals("sanity") ? f[1] : data.length + " bytes", f[2]);

            assertThat(Xxh64.hash(data, 0, data.length, seed)).as(what).isEqualTo(expected);

            byte[] padded = new byte[data.length + 13];
            System.arraycopy(data, 0, padded, 7, data.length);
            assertThat(Xxh64.hash(padded, 7, data.length, seed)).as(what + " at offset").isEqualTo(expected);

            ByteBuffer heap = ByteBuffer.wrap(padded).order(ByteOrder.BIG_ENDIAN);
            assertThat(Xxh64.hash(heap, 7, data.length, seed)).as(what + " heap buffer").isEqualTo(expected);

            ByteBuffer direct = ByteBuffer.allocateDirect(padded.length).put(padded);
            assertThat(Xxh64.hash(direct, 7, data.length, seed)).as(what + " direct buffer").isEqualTo(expected);
            assertThat(direct.position()).isEqualTo(padded.length); // untouched by the hash
        }
    }

    @Test
    void hashLongAndHashTaggedEqualHashingTheirBytes() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 2000; i++) {
            long a = random.nextLong();
            long b = random.nextLong();
            byte tag = (byte) random.nextInt(256);
            ByteBuffer eight = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(a);
            assertThat(Xxh64.hashLong(a)).isEqualTo(Xxh64.hash(eight.array()));

            ByteBuffer seventeen = ByteBuffer.allocate(17).order(ByteOrder.LITTLE_ENDIAN).put(tag).putLong(a).putLong(b);
            assertThat(Xxh64.hashTagged(tag, a, b)).isEqualTo(Xxh64.hash(seventeen.array()));
        }
    }

    private static List<String[]> readVectors() throws IOException {
        List<String[]> out = new ArrayList<>();
        try (InputStream in = Xxh64Test.class.getResourceAsStream("xxh64-vectors.txt")) {
            assertThat(in).as("test resource xxh64-vectors.txt").isNotNull();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    out.add(line.trim().split(" "));
                }
            }
        }
        return out;
    }
}

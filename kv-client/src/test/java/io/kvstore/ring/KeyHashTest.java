package io.kvstore.ring;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyHashTest {

    private static long xxh(String s) {
        return Xxh64.hash(s.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "\"{0}\" hashes \"{1}\"")
    @CsvSource(delimiter = '|', value = {
        "user:{42}:name | 42",
        "user:{42}:email | 42",
        "{42} | 42",
        "{a}{b} | a",
        "a{b{c}d | b{c",
        "x}{y} | y",
        "{{x}} | {x",
        "{}x | {}x",
        "x{ | x{",
        "x} | x}",
        "}{ | }{",
        "{ | {",
        "{}{a} | {}{a}",
        "plain | plain",
    })
    void hashesTheTagOrTheWholeKey(String key, String expectedInput) {
        assertThat(KeyHash.of(key)).isEqualTo(xxh(expectedInput));
        assertThat(KeyHash.of(key.getBytes(StandardCharsets.UTF_8))).isEqualTo(xxh(expectedInput));
        assertThat(KeyHash.of(ByteString.copyFromUtf8(key))).isEqualTo(xxh(expectedInput));
        assertThat(KeyHash.hashInput(ByteString.copyFromUtf8(key)).toStringUtf8()).isEqualTo(expectedInput);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "job:{7}: | true",
        "{7} | true",
        "{7}{8 | true",
        "job:{7 | false",
        "job: | false",
        "{}x | false",
        "{}{7} | false",
        "} {7} | true",
    })
    void aPrefixWithACompleteTagFixesTheShardOfEveryKeyUnderIt(String prefix, boolean fixes) {
        assertThat(KeyHash.fixesShard(ByteString.copyFromUtf8(prefix))).isEqualTo(fixes);
        if (fixes) {
            for (String rest : new String[] {"", "a", "}b{c}", "{d}"}) {
                assertThat(KeyHash.of(prefix + rest)).as(prefix + rest).isEqualTo(KeyHash.of(prefix));
            }
        }
    }

    @Test
    void stringKeysHashTheirUtf8Bytes() {
        assertThat(KeyHash.of("ключ:{ä}")).isEqualTo(KeyHash.of("ключ:{ä}".getBytes(StandardCharsets.UTF_8)));
        assertThat(KeyHash.of("ключ:{ä}")).isEqualTo(xxh("ä"));
    }

    @Test
    void emptyKeyHashesAsEmptyInput() {
        assertThat(KeyHash.of(new byte[0])).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(KeyHash.of(ByteString.EMPTY)).isEqualTo(0xEF46DB3751D8E999L);
    }

    /** byte[], String and every ByteString shape (flat, sliced, rope, direct) give the same position. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void everyKeyFormAgrees(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        // Braces, their neighbours, and the same low bits with the high bit set (0xFB, 0xFD).
        byte[] alphabet = {'a', 'b', '{', '}', ':', '0', '9', 'z', '|', (byte) 0xFB, (byte) 0xFD, 0, (byte) 0xFF};
        for (int i = 0; i < 3000; i++) {
            byte[] key = new byte[random.nextInt(0, 80)];
            for (int j = 0; j < key.length; j++) {
                key[j] = alphabet[random.nextInt(alphabet.length)];
            }
            long expected = KeyHash.of(key);
            // The reference: find the tag byte by byte (hashInput), then hash it.
            assertThat(expected).isEqualTo(Xxh64.hash(KeyHash.hashInput(ByteString.copyFrom(key)).toByteArray()));
            ByteString flat = ByteString.copyFrom(key);
            ByteString sliced = ByteString.copyFromUtf8("pre").concat(flat).concat(ByteString.copyFromUtf8("post"))
                    .substring(3, 3 + key.length);
            ByteString padded = ByteString.copyFrom(concat(new byte[] {9, 9}, key)).substring(2);
            int cut = key.length / 2;
            ByteString rope = ByteString.copyFrom(key, 0, cut).concat(ByteString.copyFrom(key, cut, key.length - cut));
            ByteBuffer direct = ByteBuffer.allocateDirect(key.length).put(key).flip();
            ByteString nio = UnsafeByteOperations.unsafeWrap(direct);

            assertThat(KeyHash.of(flat)).isEqualTo(expected);
            assertThat(KeyHash.of(sliced)).isEqualTo(expected);
            assertThat(KeyHash.of(padded)).isEqualTo(expected);
            assertThat(KeyHash.of(rope)).isEqualTo(expected);
            assertThat(KeyHash.of(nio)).isEqualTo(expected);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

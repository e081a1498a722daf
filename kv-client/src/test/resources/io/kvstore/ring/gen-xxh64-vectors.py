# Generates xxh64-vectors.txt with Debian's python3-xxhash (run once; the Java test reads the file).
import random, xxhash
PRIME32 = 2654435761
PRIME64 = 11400714785074694797
M = (1 << 64) - 1
def sanity(n):
    out = bytearray(); g = PRIME32
    for _ in range(n):
        out.append(g >> 56); g = (g * PRIME64) & M
    return bytes(out)
buf = sanity(300)
rnd = random.Random(20261128)
print("# XXH64 test vectors generated with python3-xxhash %s (xxHash %s)." % (xxhash.VERSION, xxhash.XXHASH_VERSION))
print("# sanity <length> <seed hex> <hash hex>: the first <length> bytes of xxHash's sanity buffer")
print("#   (byte i = top byte of PRIME32 * PRIME64^i mod 2^64, as in xxHash's xsum_sanity_check.c).")
print("# bytes <input hex or -> <seed hex> <hash hex>: random inputs.")
for n in range(0, 301):
    for seed in (0, PRIME32):
        print("sanity %d %x %016x" % (n, seed, xxhash.xxh64_intdigest(buf[:n], seed=seed)))
for i in range(400):
    n = rnd.choice([rnd.randrange(0, 40), rnd.randrange(0, 300)])
    data = bytes(rnd.getrandbits(8) for _ in range(n))
    seed = 0 if i % 2 == 0 else rnd.getrandbits(64)
    print("bytes %s %x %016x" % (data.hex() or "-", seed, xxhash.xxh64_intdigest(data, seed=seed)))

package io.kvstore.bench.load;

import java.util.SplittableRandom;

/** Every key equally likely. */
public final class UniformKeys implements KeyChooser {
  private final int keyCount;

  public UniformKeys(int keyCount) {
    if (keyCount < 1) {
      throw new IllegalArgumentException("key count must be at least 1, got " + keyCount);
    }
    this.keyCount = keyCount;
  }

  @Override
  public int next(SplittableRandom random) {
    return random.nextInt(keyCount);
  }

  @Override
  public int keyCount() {
    return keyCount;
  }

  @Override
  public String describe() {
    return "uniform";
  }
}

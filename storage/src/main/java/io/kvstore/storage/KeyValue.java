package io.kvstore.storage;

import java.util.Arrays;

/** One key and its value, as returned by a scan. The arrays are fresh copies owned by the caller. */
public record KeyValue(byte[] key, byte[] value) {

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyValue kv && Arrays.equals(key, kv.key) && Arrays.equals(value, kv.value);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(key) + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "KeyValue[key=" + Keys.hex(key) + ", value=" + value.length + " bytes]";
  }
}

package io.kvstore.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kvstore.proto.v1.ScanRequest;
import io.kvstore.server.proto.ScanContinuation;

/**
 * What one page of a Scan reads: keys in {@code [start, end)} in unsigned byte order ({@code end} empty:
 * no upper bound), at most {@code limit} of them. Built from a request's selector and continuation token,
 * which must belong to that selector.
 *
 * <p>The continuation token is a {@link ScanContinuation} holding the last key returned; the next page
 * starts at that key's immediate successor (the key with one 0x00 byte appended), so no key is returned
 * twice and none is skipped, however the keys are spread over shards.
 */
record ScanBounds(ByteString start, ByteString end, int limit) {
  static final int DEFAULT_LIMIT = 1_000;
  static final int MAX_LIMIT = 10_000;

  /** True when the range holds no key at all (start at or past a bounded end). */
  boolean empty() {
    return !end.isEmpty() && compare(start, end) >= 0;
  }

  /**
   * The bounds of the page {@code r} asks for.
   *
   * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT for start > end, a limit over {@link
   *     #MAX_LIMIT}, or a token that is not one of ours for this selector
   */
  static ScanBounds of(ScanRequest r) {
    ByteString start;
    ByteString end;
    switch (r.getSelectorCase()) {
      case RANGE -> {
        start = r.getRange().getStart();
        end = r.getRange().getEnd();
        if (!end.isEmpty() && compare(start, end) > 0) {
          throw KvStatuses.invalidArgument(
              "range.start is after range.end; a range is [start, end) with start <= end"
                  + " (an empty end means no upper bound)");
        }
      }
      case PREFIX -> {
        start = r.getPrefix();
        end = prefixEnd(r.getPrefix());
      }
      default -> {
        start = ByteString.EMPTY;
        end = ByteString.EMPTY;
      }
    }
    // A uint32: read unsigned, so 2^32-1 is over the most rather than a negative int.
    long requested = Integer.toUnsignedLong(r.getLimit());
    if (requested > MAX_LIMIT) {
      throw KvStatuses.limitExceeded(
          "limit is " + requested + "; a Scan page holds at most " + MAX_LIMIT
              + " keys (0 asks for the default of " + DEFAULT_LIMIT + "); page with continuation_token",
          "limit",
          MAX_LIMIT,
          requested);
    }
    int limit = r.getLimit() == 0 ? DEFAULT_LIMIT : r.getLimit();
    if (!r.getContinuationToken().isEmpty()) {
      ByteString last = lastKeyOf(r.getContinuationToken());
      if (compare(last, start) < 0 || (!end.isEmpty() && compare(last, end) >= 0)) {
        throw KvStatuses.invalidArgument(
            "continuation_token does not belong to this scan's range or prefix; pass the token"
                + " with the same selector as the page that returned it");
      }
      start = last.concat(ByteString.copyFrom(new byte[] {0}));
    }
    return new ScanBounds(start, end, limit);
  }

  static ByteString tokenAfter(ByteString lastKey) {
    return ScanContinuation.newBuilder().setLastKey(lastKey).build().toByteString();
  }

  private static ByteString lastKeyOf(ByteString token) {
    try {
      ScanContinuation c = ScanContinuation.parseFrom(token);
      if (c.getLastKey().isEmpty() || !c.getUnknownFields().asMap().isEmpty()) {
        throw new InvalidProtocolBufferException("not a continuation token of this version");
      }
      return c.getLastKey();
    } catch (InvalidProtocolBufferException e) {
      throw KvStatuses.invalidArgument(
          "continuation_token is not a token this node issued; pass back the"
              + " continuation_token of the previous ScanResponse unchanged");
    }
  }

  /** The first key after every key with this prefix, or empty when there is none (all 0xff). */
  static ByteString prefixEnd(ByteString prefix) {
    byte[] b = prefix.toByteArray();
    for (int i = b.length - 1; i >= 0; i--) {
      if ((b[i] & 0xff) != 0xff) {
        b[i]++;
        return ByteString.copyFrom(b, 0, i + 1);
      }
    }
    return ByteString.EMPTY;
  }

  /** Unsigned lexicographic order, the order of keys in kvstore. */
  static int compare(ByteString a, ByteString b) {
    return ByteString.unsignedLexicographicalComparator().compare(a, b);
  }
}

package io.kvstore.server.statemachine;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvstore.proto.v1.BatchPutRequest;
import io.kvstore.proto.v1.Compare;
import io.kvstore.proto.v1.CompareAndSwapRequest;
import io.kvstore.proto.v1.DeleteRequest;
import io.kvstore.proto.v1.KeyValue;
import io.kvstore.proto.v1.PutRequest;
import io.kvstore.proto.v1.RequestHeader;
import io.kvstore.proto.v1.TxnDelete;
import io.kvstore.proto.v1.TxnGet;
import io.kvstore.proto.v1.TxnOp;
import io.kvstore.proto.v1.TxnPut;
import io.kvstore.proto.v1.TxnRequest;
import io.kvstore.server.replica.Command;
import io.kvstore.server.replica.CommandResult;
import org.junit.jupiter.api.Test;

class KvStateMachineTest {
  private final MemoryShard shard = new MemoryShard();
  private final KvStateMachine sm = new KvStateMachine(7, shard, new SessionTable(SessionTable.Limits.defaults()));
  private long index;

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** Applies one command as its own round (its own batch) at the next index. */
  private Outcome apply(Command c) {
    return apply(c, 1_000);
  }

  private Outcome apply(Command c, long atMillis) {
    MemoryShard.Batch batch = shard.new Batch();
    // Round-trip through the log encoding, as the worker does.
    EntryCodec.Decoded d = EntryCodec.decode(EntryCodec.encode(c, atMillis));
    Outcome o = sm.apply(++index, d.command(), d.proposedAtMillis(), batch);
    batch.commit();
    sm.takeChanges();
    return o;
  }

  private static CommandResult result(Outcome o) {
    assertThat(o).isInstanceOf(Outcome.Applied.class);
    return ((Outcome.Applied) o).result();
  }

  private static Command put(String k, String v) {
    return new Command.Put(PutRequest.newBuilder().setKey(b(k)).setValue(b(v)).setPrevKv(true).build());
  }

  @Test
  void putSetsVersionToEntryIndexAndKeepsCreateVersion() {
    var first = (CommandResult.Put) result(apply(put("a", "1")));
    assertThat(first.response().getVersion()).isEqualTo(1);
    assertThat(first.response().hasPrevKv()).isFalse();
    apply(put("other", "x"));
    var second = (CommandResult.Put) result(apply(put("a", "2")));
    assertThat(second.response().getVersion()).isEqualTo(3);
    assertThat(second.response().getPrevKv().getValue()).isEqualTo(b("1"));
    assertThat(second.response().getPrevKv().getVersion()).isEqualTo(1);
    StoredValue now = shard.get(b("a"));
    assertThat(now.value()).isEqualTo(b("2"));
    assertThat(now.version()).isEqualTo(3);
    assertThat(now.createVersion()).isEqualTo(1);
  }

  @Test
  void deleteResetsCreateVersionAndReportsWhetherKeyExisted() {
    apply(put("a", "1"));
    var del = (CommandResult.Delete) result(apply(new Command.Delete(
        DeleteRequest.newBuilder().setKey(b("a")).setPrevKv(true).build())));
    assertThat(del.response().getDeleted()).isTrue();
    assertThat(del.response().getVersion()).isEqualTo(2);
    assertThat(del.response().getPrevKv().getValue()).isEqualTo(b("1"));
    var again = (CommandResult.Delete) result(apply(new Command.Delete(
        DeleteRequest.newBuilder().setKey(b("a")).build())));
    assertThat(again.response().getDeleted()).isFalse();
    assertThat(again.response().getVersion()).isEqualTo(3);
    apply(put("a", "new"));
    assertThat(shard.get(b("a")).createVersion()).isEqualTo(4);
  }

  @Test
  void compareAndSwapOnValueVersionAndAbsence() {
    CompareAndSwapRequest createIfAbsent = CompareAndSwapRequest.newBuilder().setKey(b("k"))
        .setExpectedVersion(0).setNewValue(b("v1")).build();
    var created = (CommandResult.CompareAndSwap) result(apply(new Command.CompareAndSwap(createIfAbsent)));
    assertThat(created.response().getSucceeded()).isTrue();
    assertThat(created.response().getVersion()).isEqualTo(1);

    var exists = (CommandResult.CompareAndSwap) result(apply(new Command.CompareAndSwap(createIfAbsent)));
    assertThat(exists.response().getSucceeded()).isFalse();
    assertThat(exists.response().getVersion()).isEqualTo(2);
    assertThat(exists.response().getCurrent().getValue()).isEqualTo(b("v1"));
    assertThat(exists.response().getCurrent().getVersion()).isEqualTo(1);

    var wrongVersion = (CommandResult.CompareAndSwap) result(apply(new Command.CompareAndSwap(
        CompareAndSwapRequest.newBuilder().setKey(b("k")).setExpectedVersion(2).setNewValue(b("x")).build())));
    assertThat(wrongVersion.response().getSucceeded()).isFalse();

    var byVersion = (CommandResult.CompareAndSwap) result(apply(new Command.CompareAndSwap(
        CompareAndSwapRequest.newBuilder().setKey(b("k")).setExpectedVersion(1).setNewValue(b("v2")).build())));
    assertThat(byVersion.response().getSucceeded()).isTrue();
    assertThat(byVersion.response().getVersion()).isEqualTo(4);

    var byValue = (CommandResult.CompareAndSwap) result(apply(new Command.CompareAndSwap(
        CompareAndSwapRequest.newBuilder().setKey(b("k")).setExpectedValue(b("v2")).setNewValue(b("v3")).build())));
    assertThat(byValue.response().getSucceeded()).isTrue();
    assertThat(shard.get(b("k")).value()).isEqualTo(b("v3"));
    assertThat(shard.get(b("k")).createVersion()).isEqualTo(1);

    var absentByValue = (CommandResult.CompareAndSwap) result(apply(new Command.CompareAndSwap(
        CompareAndSwapRequest.newBuilder().setKey(b("nope")).setExpectedValue(ByteString.EMPTY)
            .setNewValue(b("x")).build())));
    assertThat(absentByValue.response().getSucceeded()).isFalse();
    assertThat(absentByValue.response().hasCurrent()).isFalse();
    assertThat(shard.get(b("nope"))).isNull();
  }

  @Test
  void txnRunsOneBranchAtomicallyAndGetsSeeEarlierWrites() {
    apply(put("{u}:balance", "10"));
    TxnRequest txn = TxnRequest.newBuilder()
        .addCompare(Compare.newBuilder().setKey(b("{u}:balance")).setTarget(Compare.Target.TARGET_VALUE)
            .setResult(Compare.Result.RESULT_EQUAL).setValue(b("10")))
        .addCompare(Compare.newBuilder().setKey(b("{u}:lock")).setTarget(Compare.Target.TARGET_VERSION)
            .setResult(Compare.Result.RESULT_EQUAL).setVersion(0))
        .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(b("{u}:balance")).setValue(b("5"))))
        .addSuccess(TxnOp.newBuilder().setGet(TxnGet.newBuilder().setKey(b("{u}:balance"))))
        .addSuccess(TxnOp.newBuilder().setDelete(TxnDelete.newBuilder().setKey(b("{u}:missing"))))
        .addFailure(TxnOp.newBuilder().setGet(TxnGet.newBuilder().setKey(b("{u}:balance"))))
        .build();
    var ok = (CommandResult.Txn) result(apply(new Command.Txn(txn)));
    assertThat(ok.response().getSucceeded()).isTrue();
    assertThat(ok.response().getVersion()).isEqualTo(2);
    assertThat(ok.response().getResultsCount()).isEqualTo(3);
    assertThat(ok.response().getResults(0).getPut().getVersion()).isEqualTo(2);
    assertThat(ok.response().getResults(1).getGet().getKv().getValue()).isEqualTo(b("5"));
    assertThat(ok.response().getResults(2).getDelete().getDeleted()).isFalse();

    var failed = (CommandResult.Txn) result(apply(new Command.Txn(txn)));
    assertThat(failed.response().getSucceeded()).isFalse();
    assertThat(failed.response().getResultsCount()).isEqualTo(1);
    assertThat(failed.response().getResults(0).getGet().getKv().getValue()).isEqualTo(b("5"));
    assertThat(shard.get(b("{u}:balance")).version()).isEqualTo(2);
  }

  @Test
  void txnCompareOperatorsOnMissingAndPresentKeys() {
    apply(put("k", "m"));
    assertThat(txnHolds("k", Compare.Result.RESULT_GREATER, "a")).isTrue();
    assertThat(txnHolds("k", Compare.Result.RESULT_LESS, "z")).isTrue();
    assertThat(txnHolds("k", Compare.Result.RESULT_LESS, "a")).isFalse();
    assertThat(txnHolds("k", Compare.Result.RESULT_NOT_EQUAL, "m")).isFalse();
    // A missing key fails every value comparison but NOT_EQUAL.
    assertThat(txnHolds("absent", Compare.Result.RESULT_EQUAL, "")).isFalse();
    assertThat(txnHolds("absent", Compare.Result.RESULT_LESS, "z")).isFalse();
    assertThat(txnHolds("absent", Compare.Result.RESULT_NOT_EQUAL, "x")).isTrue();
    // Values compare as unsigned bytes: 0xFF sorts after 'a'.
    apply(new Command.Put(PutRequest.newBuilder().setKey(b("hi")).setValue(ByteString.copyFrom(new byte[] {(byte) 0xFF}))
        .build()));
    assertThat(txnHolds("hi", Compare.Result.RESULT_GREATER, "a")).isTrue();
  }

  private boolean txnHolds(String key, Compare.Result op, String value) {
    var r = (CommandResult.Txn) result(apply(new Command.Txn(TxnRequest.newBuilder()
        .addCompare(Compare.newBuilder().setKey(b(key)).setTarget(Compare.Target.TARGET_VALUE).setResult(op)
            .setValue(b(value)))
        .build())));
    return r.response().getSucceeded();
  }

  @Test
  void batchPutWritesEveryEntryAtOneVersionAndLaterDuplicatesWin() {
    var r = (CommandResult.BatchPut) result(apply(new Command.BatchPut(BatchPutRequest.newBuilder()
        .addKvs(KeyValue.newBuilder().setKey(b("x")).setValue(b("1")))
        .addKvs(KeyValue.newBuilder().setKey(b("y")).setValue(b("2")))
        .addKvs(KeyValue.newBuilder().setKey(b("x")).setValue(b("3")))
        .build())));
    assertThat(r.response().getVersionsList()).containsExactly(1L, 1L, 1L);
    assertThat(shard.get(b("x")).value()).isEqualTo(b("3"));
    assertThat(shard.get(b("y")).value()).isEqualTo(b("2"));
  }

  @Test
  void entriesOfOneRoundSeeEachOthersWritesBeforeTheBatchIsWritten() {
    MemoryShard.Batch batch = shard.new Batch();
    sm.apply(1, put("a", "1"), 0, batch);
    var second = (CommandResult.Put) ((Outcome.Applied) sm.apply(2, put("a", "2"), 0, batch)).result();
    assertThat(second.response().getPrevKv().getValue()).isEqualTo(b("1"));
    assertThat(shard.get(b("a"))).isNull();
    batch.commit();
    assertThat(sm.takeChanges()).containsOnlyKeys(b("a"));
    assertThat(shard.get(b("a")).createVersion()).isEqualTo(1);
  }

  private static Command putAs(long client, long seq, String k, String v) {
    return new Command.Put(PutRequest.newBuilder()
        .setHeader(RequestHeader.newBuilder().setClientId(client).setSequence(seq))
        .setKey(b(k)).setValue(b(v)).build());
  }

  @Test
  void retriedWriteIsAppliedOnceAndAnsweredWithItsOriginalResult() {
    var first = (CommandResult.Put) result(apply(putAs(42, 1, "a", "one")));
    apply(put("a", "someone else"));
    Outcome retry = apply(putAs(42, 1, "a", "one"));
    assertThat(((Outcome.Applied) retry).duplicate()).isTrue();
    assertThat(((CommandResult.Put) ((Outcome.Applied) retry).result()).response()).isEqualTo(first.response());
    assertThat(shard.get(b("a")).value()).isEqualTo(b("someone else"));
    // A new sequence is applied.
    var next = (CommandResult.Put) result(apply(putAs(42, 2, "a", "two")));
    assertThat(next.response().getVersion()).isEqualTo(4);
  }

  @Test
  void sequencesOlderThanTheKeptWindowAreRefusedNeverReapplied() {
    KvStateMachine small = new KvStateMachine(1, shard, new SessionTable(new SessionTable.Limits(10, 2, 60_000)));
    MemoryShard.Batch batch = shard.new Batch();
    for (int seq = 1; seq <= 3; seq++) {
      small.apply(seq, putAs(9, seq, "k", "v" + seq), 0, batch);
    }
    batch.commit();
    Outcome old = small.apply(4, putAs(9, 1, "k", "stale"), 0, shard.new Batch());
    assertThat(old).isInstanceOf(Outcome.Refused.class);
    assertThat(((Outcome.Refused) old).error()).isInstanceOfSatisfying(RefusedException.class, e -> {
      assertThat(e.reason()).isEqualTo(RefusedException.Reason.OUTCOME_UNKNOWN);
      assertThat(e.getMessage()).contains("sequence 1 of client 9").contains("window of 2")
          .contains("outcome of that write is unknown");
    });
    assertThat(((Outcome.Applied) small.apply(5, putAs(9, 3, "k", "again"), 0, shard.new Batch())).duplicate())
        .isTrue();
  }

  @Test
  void sessionsExpireByEntryTimestampsAndTheTableIsBounded() {
    SessionTable table = new SessionTable(new SessionTable.Limits(2, 4, 1_000));
    KvStateMachine m = new KvStateMachine(1, shard, table);
    MemoryShard.Batch batch = shard.new Batch();
    m.apply(1, putAs(1, 1, "a", "x"), 0, batch);
    m.apply(2, putAs(2, 1, "a", "x"), 500, batch);
    m.apply(3, putAs(3, 1, "a", "x"), 600, batch);
    batch.commit();
    // Three clients, room for two: the least recently written (client 1) was dropped.
    assertThat(table.size()).isEqualTo(2);
    assertThat(table.lookup(1, 1)).isInstanceOf(SessionTable.Lookup.Fresh.class);
    assertThat(table.lookup(2, 1)).isInstanceOf(SessionTable.Lookup.Duplicate.class);
    // An entry 1.5 s later expires client 2 (last seen at 500) but not client 3 (600 + 1000 > 1550).
    MemoryShard.Batch later = shard.new Batch();
    m.apply(4, put("b", "y"), 1_550, later);
    later.commit();
    assertThat(table.lookup(2, 1)).isInstanceOf(SessionTable.Lookup.Fresh.class);
    assertThat(table.lookup(3, 1)).isInstanceOf(SessionTable.Lookup.Duplicate.class);
    // What is left on disk: client 3's session and its one result.
    assertThat(shard.system).hasSize(2);
  }

  @Test
  void aClientsRecordsStayWithinTheWindowWhateverItWrote() {
    SessionTable table = new SessionTable(new SessionTable.Limits(10, 3, 60_000));
    KvStateMachine m = new KvStateMachine(1, shard, table);
    MemoryShard.Batch batch = shard.new Batch();
    for (int seq = 1; seq <= 50; seq++) {
      m.apply(seq, putAs(4, seq, "k" + seq, "v"), 0, batch);
    }
    batch.commit();
    // One session record and the window's three results, each in a record of its own.
    assertThat(shard.system).hasSize(4);
    SessionTable reloaded = new SessionTable(table.limits());
    reloaded.load(shard.systemRecords());
    assertThat(reloaded.lookup(4, 47)).isInstanceOf(SessionTable.Lookup.Superseded.class);
    assertThat(reloaded.lookup(4, 48)).isInstanceOf(SessionTable.Lookup.Duplicate.class);
    assertThat(reloaded.lookup(4, 50)).isEqualTo(table.lookup(4, 50));
    assertThat(reloaded.lookup(4, 51)).isInstanceOf(SessionTable.Lookup.Fresh.class);
  }

  @Test
  void aSessionStoredWithInlineResultsIsReadAndMovedToRecordsOfItsOwn() {
    // The record format before per-result records: floor lastIndex lastMillis count [seq len result]*.
    byte[] result = ResultCodec.encode(new CommandResult.Put(
        io.kvstore.proto.v1.PutResponse.newBuilder().setVersion(12).build()));
    java.nio.ByteBuffer old = java.nio.ByteBuffer.allocate(28 + 2 * (12 + result.length));
    old.putLong(3).putLong(12).putLong(0).putInt(2);
    for (long seq : new long[] {4, 5}) {
      old.putLong(seq).putInt(result.length).put(result);
    }
    MemoryShard.Batch legacy = shard.new Batch();
    legacy.putSystem(SessionTable.key(8), old.array());
    legacy.commit();
    SessionTable table = new SessionTable(new SessionTable.Limits(10, 3, 60_000));
    table.load(shard.systemRecords());
    assertThat(table.lookup(8, 3)).isInstanceOf(SessionTable.Lookup.Superseded.class);
    assertThat(table.lookup(8, 5)).isInstanceOf(SessionTable.Lookup.Duplicate.class);
    KvStateMachine m = new KvStateMachine(1, shard, table);
    MemoryShard.Batch batch = shard.new Batch();
    m.apply(13, putAs(8, 6, "k", "v"), 0, batch);
    batch.commit();
    SessionTable reloaded = new SessionTable(table.limits());
    reloaded.load(shard.systemRecords());
    for (long seq = 3; seq <= 7; seq++) {
      assertThat(reloaded.lookup(8, seq)).as("sequence %d", seq).isEqualTo(table.lookup(8, seq));
    }
    assertThat(reloaded.lookup(8, 4)).isInstanceOf(SessionTable.Lookup.Duplicate.class);
  }

  @Test
  void aBusySessionRewritesItsHeaderOncePerIntervalNotOnEveryWrite() {
    SessionTable table = new SessionTable(new SessionTable.Limits(10, 4, 60_000));
    KvStateMachine m = new KvStateMachine(1, shard, table);
    java.util.concurrent.atomic.AtomicInteger headers = new java.util.concurrent.atomic.AtomicInteger();
    MemoryShard.Batch batch = shard.new Batch();
    ShardWriter counting = new ShardWriter() {
      @Override public void put(byte[] key, byte[] value) { batch.put(key, value); }
      @Override public void delete(byte[] key) { batch.delete(key); }
      @Override public void putSystem(byte[] key, byte[] value) {
        if (key[0] == SessionTable.PREFIX) {
          headers.incrementAndGet();
        }
        batch.putSystem(key, value);
      }
      @Override public void deleteSystem(byte[] key) { batch.deleteSystem(key); }
    };
    // 200 writes within 1,000 entries and 1 s: the header is written when the session starts only.
    for (int seq = 1; seq <= 200; seq++) {
      m.apply(seq, putAs(3, seq, "k", "v"), 500 + seq, counting);
    }
    assertThat(headers.get()).isEqualTo(1);
    // The next write a second of entry time later, and one 1,000 entries later, rewrite it.
    m.apply(201, putAs(3, 201, "k", "v"), 1_501, counting);
    m.apply(1_201, putAs(3, 202, "k", "v"), 1_502, counting);
    assertThat(headers.get()).isEqualTo(3);
    batch.commit();
    assertThat(table.lookup(3, 198)).isInstanceOf(SessionTable.Lookup.Superseded.class);
    assertThat(table.lookup(3, 199)).isInstanceOf(SessionTable.Lookup.Duplicate.class);
  }

  @Test
  void betweenHeaderWritesAReloadedTableDecidesLikeTheOriginal() {
    // Room for 3 clients and 4 results each; headers fall behind the results between their rewrites.
    SessionTable.Limits limits = new SessionTable.Limits(3, 4, 10_000);
    SessionTable table = new SessionTable(limits);
    KvStateMachine m = new KvStateMachine(1, shard, table);
    MemoryShard.Batch batch = shard.new Batch();
    long index = 0;
    for (int round = 0; round < 30; round++) {
      for (long client = 1; client <= 3; client++) {
        // Client 1 writes least often, so it is the least recently written when a fourth client comes.
        if (client == 1 && round > 2) {
          continue;
        }
        index++;
        m.apply(index, putAs(client, round + 1, "k" + client, "v"), 100 * index, batch);
      }
    }
    batch.commit();
    SessionTable reloaded = new SessionTable(limits);
    reloaded.load(shard.systemRecords());
    for (long client = 1; client <= 4; client++) {
      for (long seq = 0; seq <= 32; seq++) {
        assertThat(reloaded.lookup(client, seq)).as("client %d sequence %d", client, seq)
            .isEqualTo(table.lookup(client, seq));
      }
    }
    // A fourth client: both tables drop the same session, and expire the same ones later.
    ShardWriter ignore = new MemoryShard().new Batch();
    CommandResult r = new CommandResult.Put(io.kvstore.proto.v1.PutResponse.getDefaultInstance());
    table.record(4, 1, r, index + 1, 100 * (index + 1), ignore);
    reloaded.record(4, 1, r, index + 1, 100 * (index + 1), ignore);
    table.expire(100 * index + 5_000, ignore);
    reloaded.expire(100 * index + 5_000, ignore);
    assertThat(reloaded.size()).isEqualTo(table.size());
    for (long client = 1; client <= 4; client++) {
      for (long seq = 0; seq <= 32; seq++) {
        assertThat(reloaded.lookup(client, seq)).as("client %d sequence %d", client, seq)
            .isEqualTo(table.lookup(client, seq));
      }
    }
    assertThat(table.lookup(1, 1)).isInstanceOf(SessionTable.Lookup.Fresh.class); // dropped
  }

  @Test
  void aReloadedTableAnswersLikeTheOriginal() {
    apply(putAs(5, 1, "a", "1"));
    apply(putAs(5, 2, "a", "2"));
    apply(putAs(6, 7, "b", "1"));
    SessionTable reloaded = new SessionTable(SessionTable.Limits.defaults());
    reloaded.load(shard.systemRecords());
    assertThat(reloaded.size()).isEqualTo(2);
    for (long[] cs : new long[][] {{5, 1}, {5, 2}, {6, 7}, {6, 8}, {7, 1}}) {
      assertThat(reloaded.lookup(cs[0], cs[1])).isEqualTo(sm.sessions().lookup(cs[0], cs[1]));
    }
  }

  @Test
  void noOpEntriesDecodeToNothingAndForeignBytesAreRefused() {
    assertThat(EntryCodec.decode(new byte[0])).isNull();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> EntryCodec.decode(new byte[] {9, 9, 9}))
        .isInstanceOf(IllegalStateException.class);
  }
}

package io.kvstore.client;

/** Where an attempt of a call may go. */
enum Routing {
  /** The shard's leader; when unknown, a replica of the shard chosen by the balancer (it forwards). */
  LEADER,
  /** Any voting replica of the shard, chosen by the balancer (LINEARIZABLE follower reads). */
  ANY_VOTER,
  /** Any replica of the shard, learners included, chosen by the balancer (STALE reads). */
  ANY_REPLICA,
  /** Any node, chosen by the balancer (cross-shard calls such as Scan, which the node coordinates). */
  ANY_NODE
}

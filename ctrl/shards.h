// --shards: one command on every broker of a sharded fleet (devices spread
// over several mosquitto brokers by a load balancer, each broker with its
// own store; docs/operations.md "Past one broker").
//
// The chosen command runs on each shard in turn, with the same options.
// Commands that change state (package add, job create, ...) are thus made on
// every shard; `job show` and `stats` print each shard's figures and their
// total; other commands print each shard's output under a "== shard" line
// (with --json: {"shards":[{"shard","data"}...]}). A shard that cannot be
// reached, or refuses the command, gets one line on stderr and the others
// are still done; the exit status is then the worst of them. Ids are per
// shard: `job create` first checks that its package id names the same
// package on every reachable shard, and changes nothing if not.
#pragma once

#include <string>
#include <vector>

#include "context.h"

namespace ota::ctrl {

struct Shard {
  std::string host;
  int port = 1883;
  std::string address() const;  // "host:port"
};

// "host:port,host,..." (port defaults to `default_port`). Throws UsageError.
std::vector<Shard> parse_shards(const std::string& list, int default_port);

// Runs ctx.action on every shard; `command` is the subcommand path
// ("job show"). Returns the exit status.
int run_on_shards(Context& ctx, const std::vector<Shard>& shards, const std::string& command);

}  // namespace ota::ctrl

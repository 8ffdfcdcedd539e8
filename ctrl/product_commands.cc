// product set | show
#include <iostream>

#include "context.h"
#include "errors.h"
#include "output.h"

namespace ota::ctrl {
namespace {

struct SetOptions {
  std::string product, dialect, success_rule, offline, identity, aliyun_code, download;
  bool require_verified = false, no_require_verified = false;
};

struct ShowOptions {
  std::string product;
};

void output_product(Context& ctx, const json_t* data) {
  if (ctx.json) return print_json(std::cout, data);
  const json_t* p = json_object_get(data, "product");
  print_fields(std::cout, {{"product", jstr(p, "product")},
                           {"dialect", jtext(json_object_get(p, "dialect")) == "-"
                                           ? "(the default: plugin_opt_default_dialect)"
                                           : jstr(p, "dialect")},
                           {"success rule", jstr(p, "successRule")},
                           {"offline", jstr(p, "offlinePolicy")},
                           {"identity", jstr(p, "identity")},
                           {"require verified", jbool(p, "requireVerified") ? "yes" : "no"},
                           {"aliyun code", jtext(json_object_get(p, "aliyunCode"))},
                           {"download", jtext(json_object_get(p, "downloadProtocol"))}});
}

int run_set(Context& ctx, const SetOptions& o) {
  if (o.require_verified && o.no_require_verified) {
    throw UsageError("give --require-verified or --no-require-verified, not both");
  }
  JsonPtr cmd = make_command("setProductConfig");
  json_t* c = cmd.get();
  set_str(c, "product", o.product);
  if (!o.dialect.empty()) set_str(c, "dialect", o.dialect);
  if (!o.success_rule.empty()) {
    if (o.success_rule != "version" && o.success_rule != "progress100") {
      throw UsageError("--success-rule must be version or progress100");
    }
    set_str(c, "successRule", o.success_rule);
  }
  if (!o.offline.empty()) {
    if (o.offline != "wait" && o.offline != "fail") throw UsageError("--offline must be wait or fail");
    set_str(c, "offlinePolicy", o.offline);
  }
  if (!o.identity.empty()) {
    if (o.identity != "topic" && o.identity != "clientid" && o.identity != "username") {
      throw UsageError("--identity must be topic, clientid or username");
    }
    set_str(c, "identity", o.identity);
  }
  if (o.require_verified || o.no_require_verified) set_bool(c, "requireVerified", o.require_verified);
  if (!o.aliyun_code.empty()) set_str(c, "aliyunCode", o.aliyun_code);
  if (!o.download.empty()) {
    if (o.download != "https" && o.download != "mqtt") {
      throw UsageError("--download-protocol must be https or mqtt");
    }
    set_str(c, "downloadProtocol", o.download);
  }
  output_product(ctx, ctx.client().call(std::move(cmd)).get());
  return kExitOk;
}

int run_show(Context& ctx, const ShowOptions& o) {
  JsonPtr cmd = make_command("getProductConfig");
  set_str(cmd.get(), "product", o.product);
  output_product(ctx, ctx.client().call(std::move(cmd)).get());
  return kExitOk;
}

}  // namespace

void add_product_commands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("product", "per-product settings");
  group->require_subcommand(1);

  CLI::App* set = group->add_subcommand("set", "change a product's settings (others are kept)");
  auto s = leaf<SetOptions>(set, ctx, run_set);
  set->add_option("--product", s->product, "product key")->required();
  set->add_option("--dialect", s->dialect, "aliyun, thingspanel, ctwing, tencent (plugin_opt_dialects)");
  set->add_option("--success-rule", s->success_rule,
                  "version (the device reports the new version) or progress100");
  set->add_option("--offline", s->offline, "wait or fail: jobs' default for offline devices");
  set->add_option("--identity", s->identity, "where the device name comes from: topic, clientid, username");
  set->add_flag("--require-verified", s->require_verified,
                "batch jobs need a package a verify job succeeded with");
  set->add_flag("--no-require-verified", s->no_require_verified, "undo --require-verified");
  set->add_option("--aliyun-code", s->aliyun_code, "the \"code\" of aliyun notifications");
  set->add_option("--download-protocol", s->download,
                  "https (signed URL) or mqtt (aliyun blocks over MQTT) for uploaded packages");

  CLI::App* show = group->add_subcommand("show", "a product's settings");
  auto w = leaf<ShowOptions>(show, ctx, run_show);
  show->add_option("--product", w->product, "product key")->required();
}

}  // namespace ota::ctrl

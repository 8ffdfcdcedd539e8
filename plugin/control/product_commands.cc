// setProductConfig, getProductConfig, getStatistics, listProducts.
#include <algorithm>
#include <map>
#include <set>

#include "control/command.h"
#include "control/views.h"

namespace ota {

CommandReply set_product_config_command(CommandContext& ctx, const json_t* cmd) {
  std::string error, product, dialect, success, offline, identity, code, download;
  if (!check_fields(cmd, {"product", "dialect", "successRule", "offlinePolicy", "identity",
                          "requireVerified", "aliyunCode", "downloadProtocol"}, &error) ||
      !get_name(cmd, "product", &product, 128, &error)) {
    return Error{error};
  }
  ProductConfig config = ctx.engine.product_config(product);
  if (!json::get_string(cmd, "dialect", &dialect, true, &error) ||
      !json::get_string(cmd, "successRule", &success, true, &error) ||
      !json::get_string(cmd, "offlinePolicy", &offline, true, &error) ||
      !json::get_string(cmd, "identity", &identity, true, &error) ||
      !json::get_bool(cmd, "requireVerified", &config.require_verified, true, &error) ||
      !json::get_string(cmd, "aliyunCode", &code, true, &error) ||
      !json::get_string(cmd, "downloadProtocol", &download, true, &error)) {
    return Error{error};
  }
  if (!dialect.empty()) {
    if (std::find(ctx.dialects.begin(), ctx.dialects.end(), dialect) == ctx.dialects.end()) {
      std::string enabled;
      for (const std::string& d : ctx.dialects) enabled += (enabled.empty() ? "" : ", ") + d;
      return Error{"dialect '" + dialect + "' is not enabled; enabled: " + enabled +
                   " (plugin_opt_dialects)"};
    }
    config.dialect = dialect;
  }
  if (!success.empty()) {
    if (success != "version" && success != "progress100") {
      return Error{"field 'successRule' must be \"version\" or \"progress100\""};
    }
    config.success_rule = success == "version" ? SuccessRule::kVersion : SuccessRule::kProgress100;
  }
  if (!offline.empty()) {
    if (offline != "wait" && offline != "fail") {
      return Error{"field 'offlinePolicy' must be \"wait\" or \"fail\""};
    }
    config.offline_policy = offline == "wait" ? OfflinePolicy::kWait : OfflinePolicy::kFail;
  }
  if (!identity.empty()) {
    if (identity == "topic") config.identity = IdentitySource::kTopic;
    else if (identity == "clientid") config.identity = IdentitySource::kClientId;
    else if (identity == "username") config.identity = IdentitySource::kUsername;
    else return Error{"field 'identity' must be \"topic\", \"clientid\" or \"username\""};
  }
  if (json_object_get(cmd, "aliyunCode")) {
    if (code.empty() || code.size() > 16) return Error{"field 'aliyunCode' must be 1 to 16 bytes"};
    config.aliyun_code = code;
  }
  if (!download.empty()) {
    if (download != "https" && download != "mqtt") {
      return Error{"field 'downloadProtocol' must be \"https\" or \"mqtt\""};
    }
    config.download_protocol =
        download == "mqtt" ? DownloadProtocol::kMqtt : DownloadProtocol::kHttps;
  }
  Result<ProductConfig> saved = ctx.engine.set_product_config(config);
  if (!saved) return Error{saved.error()};
  return wrap("product", product_config_json(saved.value()));
}

CommandReply get_product_config_command(CommandContext& ctx, const json_t* cmd) {
  std::string error, product;
  if (!check_fields(cmd, {"product"}, &error) ||
      !json::get_string(cmd, "product", &product, false, &error)) {
    return Error{error};
  }
  return wrap("product", product_config_json(ctx.engine.product_config(product)));
}

namespace {

// The version of the module's newest package (highest id), or empty.
std::string newest_package_version(Store& store, const std::string& product,
                                   const std::string& module) {
  std::string version;
  store.for_each_package([&](const Package& p) {
    if (p.product == product && p.module == module) version = p.version;
    return true;
  });
  return version;
}

json_t* compliance_json(const std::string& target, const ComplianceAnswer& a) {
  json_t* j = json_object();
  json::set_string(j, "targetVersion", target);
  if (!a.counted_now) {
    // A big product: the last count finished in slices, and whether a
    // newer one runs.
    json_object_set_new(j, "counting", json_boolean(a.counting));
    json_object_set_new(j, "asOf", a.figures ? json_integer(a.as_of) : json_null());
  }
  if (!a.figures) return j;
  const Compliance& c = *a.figures;
  json_object_set_new(j, "onTarget", json_integer(static_cast<json_int_t>(c.on_target)));
  json_object_set_new(j, "inProgress", json_integer(static_cast<json_int_t>(c.in_progress)));
  json_object_set_new(j, "failed", json_integer(static_cast<json_int_t>(c.failed)));
  json_object_set_new(j, "needsUpdate", json_integer(static_cast<json_int_t>(c.needs_update)));
  return j;
}

}  // namespace

CommandReply get_statistics_command(CommandContext& ctx, const json_t* cmd) {
  std::string error, product, module = std::string(kDefaultModule), target;
  if (!check_fields(cmd, {"product", "module", "targetVersion"}, &error) ||
      !json::get_string(cmd, "product", &product, false, &error) ||
      !json::get_string(cmd, "module", &module, true, &error) ||
      !json::get_string(cmd, "targetVersion", &target, true, &error)) {
    return Error{error};
  }
  json_t* stats = json_object();
  json::set_string(stats, "product", product);
  json::set_string(stats, "module", module);
  json_t* versions = json_object();
  uint64_t devices = 0;
  for (const auto& [version, n] : ctx.engine.version_distribution(product, module)) {
    json_object_setn_new(versions, version.data(), version.size(),
                         json_integer(static_cast<json_int_t>(n)));
    devices += n;
  }
  json_object_set_new(stats, "devices", json_integer(static_cast<json_int_t>(devices)));
  json_object_set_new(stats, "versions", versions);
  json_t* jobs = json_array();
  std::vector<JobId> ids;
  ctx.store.for_each_job([&](const Job& j) {
    if (j.product == product && j.module == module) ids.push_back(j.id);
    return true;
  });
  for (JobId id : ids) {
    Result<JobStatistics> s = ctx.engine.job_statistics(id, ctx.now);
    if (s) json_array_append_new(jobs, job_statistics_json(s.value()));
  }
  json_object_set_new(stats, "jobs", jobs);
  if (target.empty()) target = newest_package_version(ctx.store, product, module);
  json_object_set_new(stats, "compliance",
                      target.empty() ? json_null()
                                     : compliance_json(target, ctx.engine.compliance(
                                                                   product, module, target, ctx.now)));
  json::set_string(stats, "storeId", ctx.store.store_id());
  return wrap("statistics", stats);
}

CommandReply list_products_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  Paging paging;
  if (!check_fields(cmd, {"offset", "count"}, &error) || !get_paging(cmd, &paging, &error)) {
    return Error{error};
  }
  // Products an operator has configured or made packages for, with their
  // modules: both sets are small (one record per product and per package).
  std::map<std::string, std::set<std::string>> products;
  ctx.store.for_each_product_config([&](const ProductConfig& c) {
    products[c.product];
    return true;
  });
  ctx.store.for_each_package([&](const Package& p) {
    products[p.product].insert(p.module);
    return true;
  });
  PageBuilder page(paging);
  for (const auto& [name, modules] : products) {
    const bool more = page.offer([&, &name = name, &modules = modules] {
      json_t* j = product_config_json(ctx.engine.product_config(name));
      json_t* m = json_array();
      for (const std::string& module : modules) json_array_append_new(m, json_string(module.c_str()));
      json_object_set_new(j, "modules", m);
      return j;
    });
    if (!more) break;
  }
  return page.reply("products");
}

}  // namespace ota

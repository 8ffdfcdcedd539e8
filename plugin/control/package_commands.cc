// createPackage, getPackage, listPackages.
#include "control/command.h"
#include "control/views.h"
#include "delivery/firmware_store.h"

namespace ota {
namespace {

constexpr size_t kMaxNameBytes = 128;
constexpr size_t kMaxUrlBytes = 2048;
constexpr size_t kMaxDescriptionBytes = 1024;
constexpr size_t kMaxExtDataBytes = 4096;

}  // namespace

CommandReply create_package_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  PackageSpec spec;
  std::string sign_method = "MD5";
  std::string file_sha256;
  int64_t size = 0;
  const json_t* sources = nullptr;
  const json_t* ext = nullptr;
  if (!check_fields(cmd, {"product", "module", "version", "url", "size", "sign",
                          "signMethod", "fileSha256", "sourceVersions", "diff", "extData",
                          "description"}, &error) ||
      !get_name(cmd, "product", &spec.product, kMaxNameBytes, &error) ||
      !json::get_string(cmd, "module", &spec.module, true, &error) ||
      !get_name(cmd, "version", &spec.version, kMaxNameBytes, &error) ||
      !json::get_string(cmd, "fileSha256", &file_sha256, true, &error)) {
    return Error{error};
  }
  // Either an uploaded file, or an external URL with its size and sign.
  const bool stored = !file_sha256.empty();
  if (!json::get_string(cmd, "url", &spec.url, stored, &error) ||
      !json::get_int64(cmd, "size", &size, stored, &error) ||
      !json::get_string(cmd, "sign", &spec.sign, stored, &error) ||
      !json::get_string(cmd, "signMethod", &sign_method, stored, &error) ||
      !json::get_array(cmd, "sourceVersions", &sources, true, &error) ||
      !json::get_bool(cmd, "diff", &spec.diff, true, &error) ||
      !json::get_object(cmd, "extData", &ext, true, &error) ||
      !json::get_string(cmd, "description", &spec.description, true, &error)) {
    return Error{error};
  }
  if (spec.module.empty() || spec.module.size() > kMaxNameBytes) {
    return Error{"field 'module' must be 1 to 128 bytes long"};
  }
  if (stored) {
    if (!spec.url.empty() || size != 0) {
      return Error{"give either fileSha256 (an uploaded file) or url and size, not both"};
    }
    if (!ctx.firmware) {
      return Error{"packages from uploaded files need plugin_opt_firmware_dir"};
    }
    std::optional<StoredFile> file = ctx.firmware->find(file_sha256);
    if (!file) return Error{"no uploaded file has SHA-256 " + file_sha256};
    spec.size = file->size;
    spec.md5 = file->md5;
    spec.sha256 = file->sha256;
  } else {
    if (spec.url.size() > kMaxUrlBytes ||
        (spec.url.rfind("http://", 0) != 0 && spec.url.rfind("https://", 0) != 0)) {
      return Error{"field 'url' must be an http:// or https:// URL of at most 2048 bytes"};
    }
    if (size <= 0) return Error{"field 'size' must be a positive integer (bytes)"};
    spec.size = static_cast<uint64_t>(size);
  }
  std::optional<SignMethod> method = sign_method_from_string(sign_method);
  if (!method) return Error{"field 'signMethod' must be \"MD5\" or \"SHA256\""};
  spec.sign_method = *method;
  if (spec.description.size() > kMaxDescriptionBytes) {
    return Error{"field 'description' must be at most 1024 bytes"};
  }
  if (sources) {
    size_t i;
    json_t* v;
    json_array_foreach(const_cast<json_t*>(sources), i, v) {
      if (!json_is_string(v) || json_string_length(v) == 0) {
        return Error{"field 'sourceVersions' must be an array of non-empty strings"};
      }
      spec.source_versions.emplace_back(json_string_value(v), json_string_length(v));
    }
  }
  if (ext) {
    spec.ext_data_json = json::dump(ext);
    if (spec.ext_data_json.size() > kMaxExtDataBytes) {
      return Error{"field 'extData' must be at most 4096 bytes as JSON"};
    }
  }
  Result<Package> created = ctx.engine.create_package(spec, ctx.now);
  if (!created) return Error{created.error()};
  return wrap("package", package_json(created.value()));
}

CommandReply get_package_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  uint64_t id = 0;
  if (!check_fields(cmd, {"packageId"}, &error) ||
      !get_id(cmd, "packageId", &id, &error)) {
    return Error{error};
  }
  std::optional<Package> p = ctx.store.get_package(id);
  if (!p) return Error{"package " + std::to_string(id) + " does not exist"};
  return wrap("package", package_json(*p));
}

CommandReply list_packages_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  std::string product;
  Paging paging;
  if (!check_fields(cmd, {"product", "offset", "count"}, &error) ||
      !json::get_string(cmd, "product", &product, true, &error) ||
      !get_paging(cmd, &paging, &error)) {
    return Error{error};
  }
  PageBuilder page(paging);
  ctx.store.for_each_package([&](const Package& p) {
    if (!product.empty() && p.product != product) return true;
    return page.offer([&] { return package_json(p); });
  });
  return page.reply("packages");
}

CommandReply delete_package_command(CommandContext& ctx, const json_t* cmd) {
  std::string error;
  uint64_t id = 0;
  if (!check_fields(cmd, {"packageId"}, &error) || !get_id(cmd, "packageId", &id, &error)) {
    return Error{error};
  }
  Result<Package> deleted = ctx.engine.delete_package(id);
  if (!deleted) return Error{deleted.error()};
  return wrap("package", package_json(deleted.value()));
}

}  // namespace ota

// package add | list | show | delete
#include <iostream>

#include "context.h"
#include "errors.h"
#include "output.h"
#include "parse.h"
#include "upload.h"

namespace ota::ctrl {
namespace {

struct AddOptions {
  std::string product, module, version, url, size, md5, sha256, file, sign_method;
  std::string source_versions, ext_data, description;
  std::string chunk_size = "256k";
  std::string window = "8";
  bool diff = false;
};

struct ListOptions {
  std::string product;
  Paging paging;
};

struct IdOptions {
  std::string id;
};

Fields package_fields(const json_t* p) {
  Fields f{
      {"id", jtext(json_object_get(p, "id"))},
      {"product", jstr(p, "product")},
      {"module", jstr(p, "module")},
      {"version", jstr(p, "version")},
      {"size", std::to_string(jint(p, "size")) + " (" + format_bytes(static_cast<uint64_t>(jint(p, "size"))) + ")"},
      {"url", jstr(p, "url")},
      {"sign", jstr(p, "sign") + " (" + jstr(p, "signMethod") + ")"},
      {"md5", jstr(p, "md5").empty() ? "-" : jstr(p, "md5")},
      {"sha256", jstr(p, "sha256").empty() ? "-" : jstr(p, "sha256")},
      {"source versions", jlist(p, "sourceVersions")},
      {"diff", jbool(p, "diff") ? "yes" : "no"},
      {"verified", jbool(p, "verified") ? "yes" : "no"},
      {"description", jstr(p, "description").empty() ? "-" : jstr(p, "description")},
      {"created", jtime_ms(p, "createdAt")},
  };
  if (const json_t* ext = json_object_get(p, "extData")) f.push_back({"ext data", json::dump(ext)});
  return f;
}

void print_package(Context& ctx, const json_t* data) {
  if (ctx.json) return print_json(std::cout, data);
  print_fields(std::cout, package_fields(json_object_get(data, "package")));
}

int run_add(Context& ctx, const AddOptions& o) {
  const bool by_url = !o.url.empty();
  const bool by_file = !o.file.empty();
  if (by_url == by_file) throw UsageError("give either --url (with --size and --md5 or --sha256) or --file");
  JsonPtr cmd = make_command("createPackage");
  set_str(cmd.get(), "product", o.product);
  if (!o.module.empty()) set_str(cmd.get(), "module", o.module);
  set_str(cmd.get(), "version", o.version);
  if (!o.source_versions.empty()) {
    json_object_set_new(cmd.get(), "sourceVersions",
                        string_array(parse_list(o.source_versions, "--source-versions")));
  }
  if (o.diff) set_bool(cmd.get(), "diff", true);
  if (!o.ext_data.empty()) {
    std::string error;
    JsonPtr ext = json::parse(o.ext_data, &error);
    if (!ext) throw UsageError("--ext-data must be a JSON object: " + error);
    json_object_set(cmd.get(), "extData", ext.get());
  }
  if (!o.description.empty()) set_str(cmd.get(), "description", o.description);
  std::string sign_method = o.sign_method;
  for (char& c : sign_method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!sign_method.empty() && sign_method != "MD5" && sign_method != "SHA256") {
    throw UsageError("--sign-method must be MD5 or SHA256");
  }

  if (by_url) {
    if (o.size.empty()) throw UsageError("--url needs --size (bytes)");
    if (o.md5.empty() == o.sha256.empty()) throw UsageError("--url needs either --md5 or --sha256");
    if (!sign_method.empty()) throw UsageError("--sign-method goes with --file; with --url give --md5 or --sha256");
    const uint64_t size = parse_size(o.size, "--size");
    if (size == 0) throw UsageError("--size must be above 0");
    set_str(cmd.get(), "url", o.url);
    set_int(cmd.get(), "size", static_cast<int64_t>(size));
    if (!o.md5.empty()) {
      set_str(cmd.get(), "sign", parse_hex(o.md5, 32, "--md5"));
      set_str(cmd.get(), "signMethod", "MD5");
    } else {
      set_str(cmd.get(), "sign", parse_hex(o.sha256, 64, "--sha256"));
      set_str(cmd.get(), "signMethod", "SHA256");
    }
    print_package(ctx, ctx.client().call(std::move(cmd)).get());
    return kExitOk;
  }

  if (!o.size.empty() || !o.md5.empty() || !o.sha256.empty()) {
    throw UsageError("--size, --md5 and --sha256 go with --url; --file computes them");
  }
  UploadOptions upload;
  upload.path = o.file;
  upload.chunk_size = parse_size(o.chunk_size, "--chunk-size");
  if (upload.chunk_size < 1024 || upload.chunk_size > 16 * 1024 * 1024) {
    throw UsageError("--chunk-size must be from 1k to 16m");
  }
  const int64_t window = parse_count(o.window, "--window");
  if (window < 1 || window > 64) throw UsageError("--window must be from 1 to 64");
  upload.window = static_cast<int>(window);
  const UploadedFile file = upload_file(ctx.client(), upload);
  set_str(cmd.get(), "fileSha256", file.sha256);
  if (!sign_method.empty()) set_str(cmd.get(), "signMethod", sign_method);
  print_package(ctx, ctx.client().call(std::move(cmd)).get());
  return kExitOk;
}

int run_list_packages(Context& ctx, const ListOptions& o) {
  JsonPtr fields(json_object());
  if (!o.product.empty()) set_str(fields.get(), "product", o.product);
  JsonPtr data = run_list(ctx, "listPackages", std::move(fields), "packages", o.paging);
  if (ctx.json) {
    print_json(std::cout, data.get());
    return kExitOk;
  }
  Table t({"ID", "PRODUCT", "MODULE", "VERSION", "SIZE", "SIGN", "VERIFIED", "CREATED"});
  t.right(0).right(4);
  size_t i;
  json_t* p;
  json_array_foreach(json_object_get(data.get(), "packages"), i, p) {
    t.add({jtext(json_object_get(p, "id")), jstr(p, "product"), jstr(p, "module"),
           jstr(p, "version"), std::to_string(jint(p, "size")), jstr(p, "signMethod"),
           jbool(p, "verified") ? "yes" : "no", jtime_ms(p, "createdAt")});
  }
  if (t.empty()) {
    std::cout << "no packages\n";
  } else {
    t.print(std::cout);
  }
  print_more(std::cout, data.get(), "packages");
  return kExitOk;
}

int run_show(Context& ctx, const IdOptions& o) {
  JsonPtr cmd = make_command("getPackage");
  set_int(cmd.get(), "packageId", static_cast<int64_t>(parse_id(o.id, "the package id")));
  print_package(ctx, ctx.client().call(std::move(cmd)).get());
  return kExitOk;
}

int run_delete(Context& ctx, const IdOptions& o) {
  JsonPtr cmd = make_command("deletePackage");
  set_int(cmd.get(), "packageId", static_cast<int64_t>(parse_id(o.id, "the package id")));
  JsonPtr data = ctx.client().call(std::move(cmd));
  if (ctx.json) {
    print_json(std::cout, data.get());
  } else {
    const json_t* p = json_object_get(data.get(), "package");
    std::cout << "deleted package " << jtext(json_object_get(p, "id")) << " ("
              << jstr(p, "product") << " " << jstr(p, "module") << " " << jstr(p, "version")
              << ")\n";
  }
  return kExitOk;
}

}  // namespace

void add_package_commands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("package", "firmware packages");
  group->require_subcommand(1);

  CLI::App* add = group->add_subcommand(
      "add", "add a package: an external --url with --size and --md5/--sha256, or --file to "
             "upload");
  auto a = leaf<AddOptions>(add, ctx, run_add);
  add->add_option("--product", a->product, "product key")->required();
  add->add_option("--module", a->module, "module (default \"default\")");
  add->add_option("--version", a->version, "firmware version")->required();
  add->add_option("--url", a->url, "http(s) URL devices download from");
  add->add_option("--size", a->size, "size in bytes (with --url)");
  add->add_option("--md5", a->md5, "MD5 of the file, 32 hex digits (with --url)");
  add->add_option("--sha256", a->sha256, "SHA-256 of the file, 64 hex digits (with --url)");
  add->add_option("--file", a->file, "upload this file to the broker's firmware store");
  add->add_option("--sign-method", a->sign_method,
                  "MD5 (default) or SHA256: the signature devices get (with --file)");
  add->add_option("--chunk-size", a->chunk_size, "upload chunk size (default 256k)");
  add->add_option("--window", a->window, "upload chunks in flight (default 8)");
  add->add_option("--source-versions", a->source_versions, "versions it applies to: a,b");
  add->add_flag("--diff", a->diff, "a differential package");
  add->add_option("--ext-data", a->ext_data, "JSON object passed to devices");
  add->add_option("--description", a->description, "free text");

  CLI::App* list = group->add_subcommand("list", "list packages");
  auto l = leaf<ListOptions>(list, ctx, run_list_packages);
  list->add_option("--product", l->product, "only this product");
  l->paging.add_to(list);

  CLI::App* show = group->add_subcommand("show", "show a package");
  auto s = leaf<IdOptions>(show, ctx, run_show);
  show->add_option("id", s->id, "package id")->required();

  CLI::App* del = group->add_subcommand("delete", "delete a package no job uses");
  auto d = leaf<IdOptions>(del, ctx, run_delete);
  del->add_option("id", d->id, "package id")->required();
}

}  // namespace ota::ctrl

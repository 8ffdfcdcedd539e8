#include "aliyun_notification.h"

namespace ota::test {

std::string expected_notification(const PackageSpec& spec) {
  JsonPtr data(json_object());
  json_object_set_new(data.get(), "size", json_integer(spec.size));
  json_object_set_new(data.get(), "version", json_string(spec.version.c_str()));
  json_object_set_new(data.get(), "url", json_string(spec.url.c_str()));
  json_object_set_new(data.get(), "sign", json_string(spec.sign.c_str()));
  json_object_set_new(data.get(), "signMethod", json_string(spec.sign_method.c_str()));
  if (spec.sign_method == "MD5") {
    json_object_set_new(data.get(), "md5", json_string(spec.sign.c_str()));
  }
  if (!spec.module.empty() && spec.module != "default") {
    json_object_set_new(data.get(), "module", json_string(spec.module.c_str()));
  }
  if (!spec.ext_data_json.empty()) {
    json_object_set_new(data.get(), "extData", json_parse(spec.ext_data_json).release());
  }
  JsonPtr root(json_object());
  json_object_set_new(root.get(), "code", json_string("200"));
  json_object_set(root.get(), "data", data.get());
  json_object_set_new(root.get(), "id", json_integer(0));
  json_object_set_new(root.get(), "message", json_string("success"));
  return json_text(root.get());
}

testing::AssertionResult notification_matches(const json_t* received, const PackageSpec& spec) {
  if (!json_is_object(received)) {
    return testing::AssertionFailure() << "notification is not a JSON object: "
                                       << json_text(received);
  }
  json_t* id = json_object_get(received, "id");
  if (!json_is_integer(id)) {
    return testing::AssertionFailure() << "notification id is not an integer: "
                                       << json_text(received);
  }
  JsonPtr copy(json_deep_copy(received));
  json_object_set_new(copy.get(), "id", json_integer(0));
  const std::string got = json_text(copy.get());
  const std::string want = expected_notification(spec);
  if (got != want) {
    return testing::AssertionFailure() << "notification differs (id shown as 0)\n  got:  " << got
                                       << "\n  want: " << want;
  }
  return testing::AssertionSuccess();
}

}  // namespace ota::test

// The expected aliyun upgrade notification for a package (seed 000, with
// md5 beside sign as Alibaba devices need, DESIGN §10).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "json.h"
#include "ota_api.h"

namespace ota::test {

// The exact notification text (compact, keys in order) with "id":0.
std::string expected_notification(const PackageSpec& spec);

// Compares a received notification with the expected one: everything must
// be equal, keys in the same order, except the value of "id", which must be
// an integer.
testing::AssertionResult notification_matches(const json_t* received, const PackageSpec& spec);

}  // namespace ota::test

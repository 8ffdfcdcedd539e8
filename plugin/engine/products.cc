// Packages, product configurations and statistics.
#include <algorithm>

#include "engine/engine.h"

namespace ota {
namespace {

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Result<Package> Engine::create_package(const PackageSpec& spec, TimeMs now) {
  if (spec.product.empty()) return Error{"product must not be empty"};
  if (spec.module.empty()) return Error{"module must not be empty"};
  if (spec.version.empty()) return Error{"version must not be empty"};
  // No URL: the plugin serves the stored file (sha256) itself.
  if (spec.url.empty() && spec.sha256.empty()) return Error{"url must not be empty"};
  if (spec.size == 0) return Error{"size must be greater than 0"};
  Package p;
  p.md5 = lower(spec.md5);
  p.sha256 = lower(spec.sha256);
  p.sign_method = spec.sign_method;
  const std::string& known = spec.sign_method == SignMethod::kMd5 ? p.md5 : p.sha256;
  p.sign = spec.sign.empty() ? known : lower(spec.sign);
  const size_t sign_length = spec.sign_method == SignMethod::kMd5 ? 32 : 64;
  if (p.sign.size() != sign_length || !is_hex(p.sign)) {
    return Error{"sign must be the " + std::to_string(sign_length) + "-digit hex " +
                 std::string(to_string(spec.sign_method)) + " of the file"};
  }
  if (!known.empty() && known != p.sign) {
    return Error{"sign does not match the uploaded file's " +
                 std::string(to_string(spec.sign_method))};
  }
  (spec.sign_method == SignMethod::kMd5 ? p.md5 : p.sha256) = p.sign;

  std::optional<PackageId> duplicate;
  store_.for_each_package([&](const Package& other) {
    if (other.product == spec.product && other.module == spec.module &&
        other.version == spec.version) {
      duplicate = other.id;
      return false;
    }
    return true;
  });
  if (duplicate) {
    return Error{"package " + std::to_string(*duplicate) + " already has product " +
                 spec.product + " module " + spec.module + " version " + spec.version};
  }
  p.id = store_.allocate_package_id();
  p.product = spec.product;
  p.module = spec.module;
  p.version = spec.version;
  p.source_versions = spec.source_versions;
  p.diff = spec.diff;
  p.url = spec.url;
  p.size = spec.size;
  p.ext_data_json = spec.ext_data_json;
  p.description = spec.description;
  p.created_at = now;
  store_.put_package(p);
  return p;
}

Result<Package> Engine::delete_package(PackageId id) {
  std::optional<Package> package = store_.get_package(id);
  if (!package) return Error{"package " + std::to_string(id) + " does not exist"};
  std::optional<JobId> user;
  store_.for_each_job([&](const Job& job) {
    if (job.package_id == id && job.state != JobState::kCompleted &&
        job.state != JobState::kCanceled) {
      user = job.id;
      return false;
    }
    return true;
  });
  if (user) {
    return Error{"package " + std::to_string(id) + " is used by unfinished job " +
                 std::to_string(*user) + ": cancel it or let it finish first"};
  }
  store_.delete_package(id);
  return *package;
}

const ProductConfig& Engine::product_config(const std::string& product) {
  // Consulted on every device message: cached, so a report costs no extra
  // read. Products are few; the bound only guards against a flood of
  // invented product names.
  if (last_product_config_ != nullptr && same_bytes(last_product_config_->first, product)) {
    return last_product_config_->second;
  }
  auto cached = product_configs_.find(product);
  if (cached != product_configs_.end()) {
    last_product_config_ = &*cached;
    return cached->second;
  }
  if (product_configs_.size() >= kMaxCachedProductConfigs) forget_product_configs();
  std::optional<ProductConfig> stored = store_.get_product_config(product);
  ProductConfig config;
  if (stored) {
    config = std::move(*stored);
  } else if (options_.product_defaults) {
    config = options_.product_defaults(product);
  } else {
    config.product = product;
  }
  last_product_config_ = &*product_configs_.emplace(product, std::move(config)).first;
  return last_product_config_->second;
}

Result<ProductConfig> Engine::set_product_config(const ProductConfig& config) {
  if (config.product.empty()) return Error{"product must not be empty"};
  store_.put_product_config(config);
  product_configs_.erase(config.product);
  last_product_config_ = nullptr;
  return config;
}

std::map<std::string, uint64_t> Engine::version_distribution(const std::string& product,
                                                             const std::string& module) {
  return store_.version_counts(product, module);
}

Result<JobStatus> Engine::job_status(JobId id) {
  std::optional<Job> job = store_.get_job(id);
  if (!job) return Error{"job " + std::to_string(id) + " does not exist"};
  return JobStatus{*job, store_.job_task_counts(id)};
}

Result<JobStatistics> Engine::job_statistics(JobId id, TimeMs now) {
  std::optional<Job> job = store_.get_job(id);
  if (!job) return Error{"job " + std::to_string(id) + " does not exist"};
  JobStatistics stats;
  stats.job = *job;
  stats.counts = store_.job_task_counts(id);
  const uint64_t succeeded = stats.counts[static_cast<int>(TaskState::kSucceeded)];
  const uint64_t failed = stats.counts[static_cast<int>(TaskState::kFailed)];
  if (succeeded + failed > 0) {
    stats.success_rate = static_cast<double>(succeeded) / static_cast<double>(succeeded + failed);
  }
  if (failed > 0) {
    store_.for_each_task_of_job(id, [&](const Task& t) {
      if (t.state == TaskState::kFailed) stats.failure_reasons[std::string(to_string(t.reason))]++;
      return true;
    });
  }
  if (job->started_at) stats.elapsed_ms = (job->finished_at ? job->finished_at : now) - job->started_at;
  return stats;
}

}  // namespace ota

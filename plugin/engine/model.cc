#include "engine/model.h"

namespace ota {

std::string_view to_string(TaskState s) {
  switch (s) {
    case TaskState::kConfirm: return "CONFIRM";
    case TaskState::kQueued: return "QUEUED";
    case TaskState::kNotified: return "NOTIFIED";
    case TaskState::kInProgress: return "IN_PROGRESS";
    case TaskState::kSucceeded: return "SUCCEEDED";
    case TaskState::kFailed: return "FAILED";
    case TaskState::kCanceled: return "CANCELED";
  }
  return "UNKNOWN";
}

std::string_view to_string(JobState s) {
  switch (s) {
    case JobState::kDraft: return "draft";
    case JobState::kScheduled: return "scheduled";
    case JobState::kRunning: return "running";
    case JobState::kPaused: return "paused";
    case JobState::kCompleted: return "completed";
    case JobState::kCanceled: return "canceled";
  }
  return "unknown";
}

std::string_view to_string(JobType t) {
  return t == JobType::kVerify ? "verify" : "batch";
}

std::string_view to_string(FailReason r) {
  switch (r) {
    case FailReason::kNone: return "";
    case FailReason::kUpgradeFailed: return "upgrade failed";
    case FailReason::kDownloadFailed: return "download failed";
    case FailReason::kVerifyFailed: return "verification failed";
    case FailReason::kFlashFailed: return "flashing failed";
    case FailReason::kTimeout: return "timeout";
    case FailReason::kOffline: return "offline";
    case FailReason::kDeviceBusy: return "device busy";
    case FailReason::kCanceledByOther: return "canceled by other";
    case FailReason::kSuperseded: return "superseded";
    case FailReason::kWindowClosed: return "window closed";
    case FailReason::kCanceled: return "canceled";
  }
  return "unknown";
}

std::string_view to_string(SignMethod m) {
  return m == SignMethod::kSha256 ? "SHA256" : "MD5";
}

std::optional<SignMethod> sign_method_from_string(std::string_view s) {
  if (s == "MD5") return SignMethod::kMd5;
  if (s == "SHA256") return SignMethod::kSha256;
  return std::nullopt;
}

FailReason fail_reason_for_step(int32_t step) {
  switch (step) {
    case -1: return FailReason::kUpgradeFailed;
    case -2: return FailReason::kDownloadFailed;
    case -3: return FailReason::kVerifyFailed;
    default: return FailReason::kFlashFailed;  // -4; dialects reject others
  }
}

}  // namespace ota

// The composition root: the one place that turns the plugin's options into
// running parts (the LMDB store, the firmware store, the URL signer, the
// download server) and hands them to the OtaService. Only this folder names
// concrete storage and delivery implementations; the service sees their
// interfaces (docs/decisions.md "service structure").
#pragma once

#include <memory>

#include "engine/result.h"
#include "service/ota_service.h"
#include "service/plugin_options.h"

namespace ota {

// Opens the database and the optional delivery parts; an Error says why the
// plugin cannot start.
Result<std::unique_ptr<OtaService>> open_ota_service(const PluginOptions& options,
                                                     Logger logger);

}  // namespace ota

#include "http/apps.hpp"

#include "core/config.hpp"
#include "http/shop/shop.hpp"

namespace l7::http {

void mount_app(const HostConfig& host, Routes& routes) {
    if (host.app == "shop") {
        shop::ShopOptions options;
        options.database = host.app_database.string();
        try {
            shop::install_shop(routes, std::move(options));
        } catch (const std::exception& e) {
            throw config::ConfigError(host.app_database.string() +
                                      ": the shop cannot start: " + e.what());
        }
        return;
    }
    throw config::ConfigError("app '" + host.app + "' is not one l7 has");
}

}  // namespace l7::http

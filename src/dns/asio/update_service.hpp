#pragma once
// The server side of dynamic update (RFC 2136) for primary zones: TSIG check (RFC 8945),
// prerequisites and changes (dns/update.hpp), the journal written and fsynced, then the new
// version published (which also sends NOTIFY) and only then the reply. Updates are applied
// one at a time.

#include <asio/ip/address.hpp>
#include <memory>
#include <mutex>
#include <span>

#include "dns/asio/zone_store.hpp"
#include "dns/tsig.hpp"

namespace l7::dns {

class UpdateService {
  public:
    UpdateService(std::shared_ptr<ZoneStore> store, TsigKeyring keys)
        : store_(std::move(store)), keys_(std::move(keys)) {}

    // Writes the reply into `out`; returns its size.
    std::size_t handle(std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                       const asio::ip::address& from);

  private:
    std::shared_ptr<ZoneStore> store_;
    TsigKeyring keys_;
    std::mutex mutex_;
};

}  // namespace l7::dns

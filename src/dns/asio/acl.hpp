#pragma once
// Address match lists for zone transfers, NOTIFY and updates: "127.0.0.0/8", "::1",
// "192.0.2.7", "any", "none".

#include <asio/ip/address.hpp>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace l7::dns {

class AddressList {
  public:
    // Parses one entry and adds it; the error names the entry.
    Result<bool> add(const std::string& text);
    bool allows(const asio::ip::address& address) const;
    bool empty() const { return prefixes_.empty() && !any_; }

    static AddressList loopback();  // 127.0.0.0/8 and ::1

  private:
    struct Prefix {
        asio::ip::address address;
        unsigned length = 0;
    };
    std::vector<Prefix> prefixes_;
    bool any_ = false;
};

}  // namespace l7::dns

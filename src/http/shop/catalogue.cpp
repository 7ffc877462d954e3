#include "http/shop/catalogue.hpp"

#include <array>

namespace l7::http::shop {
namespace {

// Course-flavoured goods; three categories, so that recommendations have something to choose.
constexpr std::array<Item, 9> kItems{{
    {"textbook", "Computer Networking: A Top-Down Approach", "books", 12900,
     "The course's textbook, chapter 2 dog-eared at the cookie example."},
    {"rfc-binder", "RFC 9110 in a ring binder", "books", 2400,
     "HTTP semantics, printed, with tabs for every status code."},
    {"socket-guide", "Pocket guide to sockets", "books", 1500,
     "bind, listen, accept, connect: the four verbs on one page."},
    {"router", "Home router", "hardware", 7900,
     "Forwards your packets; the NAT is free of charge."},
    {"switch", "Eight-port switch", "hardware", 3500,
     "Learns MAC addresses faster than you learn their names."},
    {"cable", "Cat 6 patch cable", "hardware", 600, "Two metres of twisted pairs."},
    {"socks", "Socks", "merchandise", 900, "One pair, for the SOCKS proxy in your life."},
    {"t-shirt", "\"There's no place like 127.0.0.1\" T-shirt", "merchandise", 1900,
     "Cotton, loopback-grey."},
    {"mug", "Three-way handshake mug", "merchandise", 1200, "SYN, SYN-ACK, ACK, coffee."},
}};

}  // namespace

std::span<const Item> catalogue() {
    return kItems;
}

const Item* find_item(std::string_view name) {
    for (const Item& item : kItems) {
        if (item.name == name) {
            return &item;
        }
    }
    return nullptr;
}

}  // namespace l7::http::shop

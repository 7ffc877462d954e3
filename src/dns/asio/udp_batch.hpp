#pragma once
// Datagrams in batches: recvmmsg/sendmmsg (Linux) move many queries per system call. Under
// load that is where an authoritative server's time goes (the kernel, not the answer), and
// it is what lets a single core keep up with NSD and Knot.

#include <sys/socket.h>

#include <asio/ip/udp.hpp>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

namespace l7::dns {

class UdpBatch {
  public:
    UdpBatch(std::size_t slots, std::size_t max_reply);

    std::size_t slots() const { return slots_; }
    // Reads up to slots() waiting datagrams without blocking. 0: none was waiting (or an
    // error, in `ec`).
    std::size_t receive(int fd, std::error_code& ec);

    std::span<const std::uint8_t> datagram(std::size_t i) const;
    bool truncated(std::size_t i) const;  // longer than the slot: not to be trusted
    asio::ip::udp::endpoint sender(std::size_t i) const;
    std::span<std::uint8_t> reply_buffer(std::size_t i);
    void set_reply(std::size_t i, std::size_t size) { reply_sizes_[i] = size; }

    // Sends the replies set since receive() (a size of 0 sends nothing); returns how many
    // went out. Replies the kernel cannot take now are dropped, as a full socket buffer would.
    std::size_t send(int fd);

  private:
    std::size_t slots_;
    std::size_t max_reply_;
    std::vector<std::uint8_t> in_;
    std::vector<std::uint8_t> out_;
    std::vector<sockaddr_storage> addresses_;
    std::vector<iovec> in_iov_;
    std::vector<iovec> out_iov_;
    std::vector<mmsghdr> in_msgs_;
    std::vector<mmsghdr> out_msgs_;
    std::vector<std::size_t> reply_sizes_;
    std::size_t received_ = 0;
};

}  // namespace l7::dns

#include "dns/asio/udp_batch.hpp"

#include <cerrno>
#include <cstring>

namespace l7::dns {

namespace {
constexpr std::size_t kSlotSize = 65536;  // the largest UDP payload
}

UdpBatch::UdpBatch(std::size_t slots, std::size_t max_reply)
    : slots_(slots),
      max_reply_(max_reply),
      in_(slots * kSlotSize),
      out_(slots * max_reply),
      addresses_(slots),
      in_iov_(slots),
      out_iov_(slots),
      in_msgs_(slots),
      out_msgs_(slots),
      reply_sizes_(slots) {}

std::size_t UdpBatch::receive(int fd, std::error_code& ec) {
    ec.clear();
    for (std::size_t i = 0; i < slots_; ++i) {
        in_iov_[i] = {in_.data() + i * kSlotSize, kSlotSize};
        std::memset(&in_msgs_[i], 0, sizeof(mmsghdr));
        in_msgs_[i].msg_hdr.msg_name = &addresses_[i];
        in_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        in_msgs_[i].msg_hdr.msg_iov = &in_iov_[i];
        in_msgs_[i].msg_hdr.msg_iovlen = 1;
        reply_sizes_[i] = 0;
    }
    int n;
    do {
        n = ::recvmmsg(fd, in_msgs_.data(), static_cast<unsigned>(slots_), MSG_DONTWAIT, nullptr);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            ec = std::error_code(errno, std::system_category());
        }
        received_ = 0;
        return 0;
    }
    received_ = static_cast<std::size_t>(n);
    return received_;
}

std::span<const std::uint8_t> UdpBatch::datagram(std::size_t i) const {
    return {in_.data() + i * kSlotSize, std::min<std::size_t>(in_msgs_[i].msg_len, kSlotSize)};
}

bool UdpBatch::truncated(std::size_t i) const {
    return (in_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
}

asio::ip::udp::endpoint UdpBatch::sender(std::size_t i) const {
    asio::ip::udp::endpoint ep;
    const auto len = std::min<std::size_t>(in_msgs_[i].msg_hdr.msg_namelen, ep.capacity());
    std::memcpy(ep.data(), &addresses_[i], len);
    ep.resize(len);
    return ep;
}

std::span<std::uint8_t> UdpBatch::reply_buffer(std::size_t i) {
    return {out_.data() + i * max_reply_, max_reply_};
}

std::size_t UdpBatch::send(int fd) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < received_; ++i) {
        if (reply_sizes_[i] == 0) {
            continue;
        }
        out_iov_[count] = {out_.data() + i * max_reply_, reply_sizes_[i]};
        std::memset(&out_msgs_[count], 0, sizeof(mmsghdr));
        out_msgs_[count].msg_hdr.msg_name = &addresses_[i];
        out_msgs_[count].msg_hdr.msg_namelen = in_msgs_[i].msg_hdr.msg_namelen;
        out_msgs_[count].msg_hdr.msg_iov = &out_iov_[count];
        out_msgs_[count].msg_hdr.msg_iovlen = 1;
        ++count;
    }
    std::size_t sent = 0;
    while (sent < count) {
        const int n = ::sendmmsg(fd, out_msgs_.data() + sent, static_cast<unsigned>(count - sent),
                                 MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            // EAGAIN: the socket buffer is full. Other errors (an ICMP-reported unreachable
            // client) concern one datagram: skip it and go on with the rest.
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                ++sent;
                continue;
            }
            break;
        }
        sent += static_cast<std::size_t>(n);
    }
    return sent;
}

}  // namespace l7::dns

#include "net/detached.hpp"

#include <array>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "core/log.hpp"

namespace l7::net::detail {
namespace {

// Freed frames kept per thread for reuse, by size (rounded up to 64 bytes). A connection's
// frames come in a handful of sizes; a few of each are enough to make every later
// connection's frames free of malloc.
class FrameCache {
  public:
    static constexpr std::size_t kSizes = 8;
    static constexpr std::size_t kPerSize = 64;

    ~FrameCache() {
        for (Bin& bin : bins_) {
            while (bin.free) {
                Node* next = bin.free->next;
                std::free(bin.free);
                bin.free = next;
            }
        }
    }

    void* take(std::size_t size) {
        if (Bin* bin = find(size); bin && bin->free) {
            Node* n = bin->free;
            bin->free = n->next;
            --bin->count;
            return n;
        }
        return nullptr;
    }

    bool keep(void* frame, std::size_t size) {
        Bin* bin = find(size);
        if (!bin) {
            bin = claim(size);
        }
        if (!bin || bin->count == kPerSize) {
            return false;
        }
        auto* n = static_cast<Node*>(frame);
        n->next = bin->free;
        bin->free = n;
        ++bin->count;
        return true;
    }

  private:
    struct Node {
        Node* next;
    };
    struct Bin {
        std::size_t size = 0;  // 0: unused
        Node* free = nullptr;
        std::size_t count = 0;
    };

    Bin* find(std::size_t size) {
        for (Bin& bin : bins_) {
            if (bin.size == size) {
                return &bin;
            }
        }
        return nullptr;
    }
    Bin* claim(std::size_t size) {
        for (Bin& bin : bins_) {
            if (bin.size == 0) {
                bin.size = size;
                return &bin;
            }
        }
        return nullptr;
    }

    std::array<Bin, kSizes> bins_{};
};

thread_local FrameCache cache;

std::size_t rounded(std::size_t size) {
    return (size + 63) & ~std::size_t{63};
}

}  // namespace

void* allocate_frame(std::size_t size) {
    const std::size_t n = rounded(size);
    if (void* frame = cache.take(n)) {
        return frame;
    }
    if (void* frame = std::malloc(n)) {
        return frame;
    }
    throw std::bad_alloc();
}

void free_frame(void* frame, std::size_t size) noexcept {
    if (!cache.keep(frame, rounded(size))) {
        std::free(frame);
    }
}

void log_uncaught(std::exception_ptr e) noexcept {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        log::error("runtime", std::string("task ended with an error: ") + ex.what());
    } catch (...) {
        log::error("runtime", "task ended with an unknown error");
    }
}

}  // namespace l7::net::detail

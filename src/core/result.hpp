#pragma once
// A value or an error message: the return type of parsers whose failures are expected input
// (a user's option, a peer's bytes). std::expected is C++23; this is the small part we need.
// The error type is Error unless a caller needs more than the sentence (a code to act on).

#include <string>
#include <utility>
#include <variant>

namespace l7 {

struct Error {
    std::string message;
};

template <class T, class E = Error>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}
    Result(E error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const E& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, E> v_;
};

inline Error make_error(std::string message) {
    return Error{std::move(message)};
}

}  // namespace l7

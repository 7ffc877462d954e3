#pragma once
// The fields of a POSTed form, whichever encoding the browser chose: its Content-Type says
// application/x-www-form-urlencoded (a plain <form method=post>, curl -d) or
// multipart/form-data (enctype="multipart/form-data", curl -F). The shop's forms are tiny,
// so the limits are tight: a body of 10,000 fields gets 413 before anything looks at it.

#include <optional>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/fields.hpp"
#include "http/form.hpp"

namespace l7::http::shop {

inline constexpr UrlencodedLimits kShopUrlencodedLimits{
    .max_body_bytes = 16 * 1024, .max_pairs = 32, .max_name_bytes = 64, .max_value_bytes = 1024};
inline constexpr MultipartLimits kShopMultipartLimits{.max_body_bytes = 64 * 1024,
                                                      .max_parts = 32,
                                                      .max_part_headers = 8,
                                                      .max_part_header_bytes = 2048};

// The fields of `body`. No Content-Type is read as urlencoded (what `curl -X POST` without
// data sends is an empty body); another media type fails with 415. Multipart parts that
// carry a file are skipped: no shop form uploads one.
Result<std::vector<FormField>, FormError> read_form(const Fields& fields, std::string_view body);

// The value of the first field called `name`.
std::optional<std::string_view> form_value(const std::vector<FormField>& form,
                                           std::string_view name);

}  // namespace l7::http::shop

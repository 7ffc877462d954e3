#include "http/shop/form_input.hpp"

#include "http/head_syntax.hpp"

namespace l7::http::shop {

Result<std::vector<FormField>, FormError> read_form(const Fields& fields, std::string_view body) {
    const auto content_type = fields.get("Content-Type");
    if (!content_type || iequals(trim_ows(content_type->substr(0, content_type->find(';'))),
                                 "application/x-www-form-urlencoded")) {
        return parse_urlencoded(body, kShopUrlencodedLimits);
    }
    auto boundary = multipart_boundary(*content_type);  // 415 for any other type
    if (!boundary) {
        return boundary.error();
    }
    auto parts = parse_multipart(body, *boundary, kShopMultipartLimits);
    if (!parts) {
        return parts.error();
    }
    std::vector<FormField> form;
    for (const FormPart& part : *parts) {
        if (!part.filename) {
            form.push_back({part.name, std::string(part.body)});
        }
    }
    return form;
}

std::optional<std::string_view> form_value(const std::vector<FormField>& form,
                                           std::string_view name) {
    for (const FormField& field : form) {
        if (field.name == name) {
            return field.value;
        }
    }
    return std::nullopt;
}

}  // namespace l7::http::shop

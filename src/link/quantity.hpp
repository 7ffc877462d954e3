#pragma once
// A number followed by a unit, as users write rates ("1.54mbit"), sizes ("64KiB") and
// percentages ("0.5%"). Only the split is here; each parser owns its units and its errors.

#include <optional>
#include <string_view>

namespace l7::link {

struct Quantity {
    double number = 0;      // finite and not negative: a sign is not part of the grammar
    std::string_view unit;  // the rest of the text, possibly empty; borrows from the input
};

// Splits "<digits>[.<digits>]<unit>". Nothing when the text does not start with a number
// (empty, a sign, a lone "."), so the caller can say "'x' is not a rate".
std::optional<Quantity> split_quantity(std::string_view text);

// ASCII case-insensitive equality, for units: tc(8) accepts "Mbit" as well as "mbit".
bool unit_is(std::string_view unit, std::string_view name);

}  // namespace l7::link

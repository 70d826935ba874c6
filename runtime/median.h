// The median of timings (the middle one; the mean of the middle two for an
// even count): what every benchmark and measurement of convopt reports.
#pragma once
#include <vector>

namespace convopt::runtime {

double medianOf(std::vector<double> values);  // values not empty

}  // namespace convopt::runtime

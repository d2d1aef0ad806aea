#include "meshd/dtab/parse_error.h"

#include <stdexcept>

namespace meshd::dtab {

void throw_exception_from_error(const ParseError& e, const boost::source_location& /*loc*/) {
  throw std::invalid_argument(e.message);
}

}  // namespace meshd::dtab

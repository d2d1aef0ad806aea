#pragma once

#include <boost/system/result.hpp>

#include "meshd/core/errc.h"

namespace meshd {

/// The value-or-error type of every fallible operation on the data path. Errors are
/// `boost::system::error_code`s, usually from `meshd::errc`; expected failures are returned,
/// never thrown.
template <class T>
using Result = boost::system::result<T>;

}  // namespace meshd

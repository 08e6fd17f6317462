// proto/described/vectors: a description held to its test vectors — frames a vendor's device
// sends and expects, each with what it means (docs/protocols/adapters.md, "Vectors"). Used by
// `halld check-protocol` and the tests. Pure: JSON in, the disagreements out.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "halld/proto/described/interpreter.hpp"

namespace halld::proto::described {

// Every vector the interpreter reads or writes otherwise than the vector says, one line each
// ("take_ticket: read as …, the vector says …"); empty when all hold. Throws
// std::invalid_argument when `vectors` is not a list of vectors.
std::vector<std::string> check_vectors(const Interpreter& interpreter,
                                       const nlohmann::json& vectors);

}  // namespace halld::proto::described

// Internal: the serialized GraphDef of a model's layer graph.
#pragma once
#include <string>

namespace keras {
class Model;
}

namespace keras::summary::detail {
std::string graph_def_bytes(const Model& model);
}

#include "backend/backend.hpp"

namespace vigil {

const BackendInfo kBackends[] = {
    {"epoll", EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE, create_epoll},
    {"poll", EV_FEATURE_FDS | EV_FEATURE_EARLY_CLOSE, create_poll},
    {"select", EV_FEATURE_FDS, create_select},
};
const int kNumBackends = int(sizeof kBackends / sizeof kBackends[0]);

}  // namespace vigil

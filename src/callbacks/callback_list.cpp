// CallbackList: forwards every hook to its callbacks, in the order given.
#include "keras/callbacks.hpp"

namespace keras::callbacks {

void CallbackList::set_model(Model* m) {
  for (auto& c : cbs_) c->set_model(m);
}
void CallbackList::set_params(const CallbackParams& p) {
  for (auto& c : cbs_) c->set_params(p);
}

// Every callback that reads batch logs is asked (no short-circuit): one
// such as the progress bar may use the question to plan its own work for
// this batch. A callback whose base hook ran never reads them.
bool CallbackList::wants(std::int64_t batch, unsigned hook) {
  bool any = false;
  for (auto& c : cbs_)
    if (!c->uses_default(hook)) any = c->wants_batch_logs(batch) || any;
  return any;
}

void CallbackList::on_train_begin(const Logs& l) {
  for (auto& c : cbs_) c->on_train_begin(l);
}
void CallbackList::on_train_end(const Logs& l) {
  for (auto& c : cbs_) c->on_train_end(l);
}
void CallbackList::on_epoch_begin(int e, const Logs& l) {
  for (auto& c : cbs_) c->on_epoch_begin(e, l);
}
void CallbackList::on_epoch_end(int e, const Logs& l) {
  for (auto& c : cbs_) c->on_epoch_end(e, l);
}
void CallbackList::on_train_batch_begin(std::int64_t b, const Logs& l) {
  for (auto& c : cbs_) c->on_train_batch_begin(b, l);
}
void CallbackList::on_train_batch_end(std::int64_t b, const Logs& l) {
  for (auto& c : cbs_) c->on_train_batch_end(b, l);
}
void CallbackList::on_test_begin(const Logs& l) {
  for (auto& c : cbs_) c->on_test_begin(l);
}
void CallbackList::on_test_end(const Logs& l) {
  for (auto& c : cbs_) c->on_test_end(l);
}
void CallbackList::on_test_batch_begin(std::int64_t b, const Logs& l) {
  for (auto& c : cbs_) c->on_test_batch_begin(b, l);
}
void CallbackList::on_test_batch_end(std::int64_t b, const Logs& l) {
  for (auto& c : cbs_) c->on_test_batch_end(b, l);
}
void CallbackList::on_predict_begin(const Logs& l) {
  for (auto& c : cbs_) c->on_predict_begin(l);
}
void CallbackList::on_predict_end(const Logs& l) {
  for (auto& c : cbs_) c->on_predict_end(l);
}
void CallbackList::on_predict_batch_begin(std::int64_t b, const Logs& l) {
  for (auto& c : cbs_) c->on_predict_batch_begin(b, l);
}
void CallbackList::on_predict_batch_end(std::int64_t b, const Logs& l) {
  for (auto& c : cbs_) c->on_predict_batch_end(b, l);
}

}  // namespace keras::callbacks

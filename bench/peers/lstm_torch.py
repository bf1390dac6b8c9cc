#!/usr/bin/env python3
"""The recipe of bench/bench_lstm.cpp in PyTorch: LSTM(256) over 100 steps of
64 features, batch 64, then Linear(10), cross-entropy on logits, Adam
(lr 1e-3); training steps per second as the median of 5 runs of `steps`
steps after 2 warm-up steps.

    python3 bench/peers/lstm_torch.py [steps=10]
"""
import statistics
import sys
import time

import torch

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
B, T, F, U = 64, 100, 64, 256
torch.manual_seed(1)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(F, U, batch_first=True)
        self.head = torch.nn.Linear(U, 10)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.head(h[-1])


net = Net()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
x = torch.rand(B, T, F) * 2 - 1
y = torch.arange(B) % 10


def step():
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()


for _ in range(2):
    step()
rates = []
for _ in range(5):
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    rates.append(steps / (time.perf_counter() - t0))
print(f"torch {torch.__version__} LSTM({U}) T={T} F={F} batch={B}: {statistics.median(rates):.2f} training steps/s "
      f"(median of 5 x {steps} steps, {torch.get_num_threads()} threads)")

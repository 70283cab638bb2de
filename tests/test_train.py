import pytest
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

from aisys import train


def blobs(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 2, generator=g) * 0.5 + (y.float() * 3 - 1.5).unsqueeze(1)
    return DataLoader(TensorDataset(x, y), batch_size=20, shuffle=True, generator=g)


def test_fit_learns_and_records_history():
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    loader = blobs()
    hist = train.fit(model, loader, blobs(seed=1), epochs=4, lr=0.05, progress=False)
    assert len(hist.train_loss) == len(hist.test_acc) == len(hist.seconds) == 4
    assert len(hist.step_loss) == 4 * len(loader)
    assert hist.test_acc[-1] > 0.95 and hist.train_loss[-1] < hist.train_loss[0]
    fig = hist.plot()
    assert len(fig.axes) == 2


def test_train_step_moves_the_parameters_against_the_gradient():
    model = nn.Linear(2, 2)
    before = model.weight.detach().clone()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(4, 2), torch.tensor([0, 1, 0, 1])
    loss, out = train.train_step(model, opt, x, y)
    assert isinstance(loss, float) and out.shape == (4, 2)
    assert not torch.equal(before, model.weight)


def test_evaluate_empty_loader_is_a_clear_error():
    empty = DataLoader(TensorDataset(torch.empty(0, 2), torch.empty(0, dtype=torch.long)))
    with pytest.raises(ValueError, match="empty loader"):
        train.evaluate(nn.Linear(2, 2), empty)

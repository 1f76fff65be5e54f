"""``python -m scratchnet``: what the package is, and where to start."""

from scratchnet import __version__

GUIDE = """\
scratchnet {version}: a pure-NumPy neural network whose every gradient is written out by hand.

Start reading here, in this order (each file holds the math of its forward and backward
passes, with the derivation beside the code):
  scratchnet/layers.py         Linear, ReLU, Sigmoid, Tanh, Sequential
  scratchnet/losses.py         BCE and focal loss, from probabilities and from logits
  scratchnet/optimizers.py     Adam and SGD
  scratchnet/gradcheck.py      finite differences that prove each backward pass
  scratchnet/training.py       the training loop
  scratchnet/serialization.py  saving and loading, without pickle
  scratchnet/functional.py     the sigmoid that never overflows, used by the above

Run:
  python demo.py                      BCE against focal loss on the article's 99:1 data
  python study.py                     the same comparison over 200 initialisations
  python -m scratchnet.gradcheck      check every layer and loss (or your own module)
  python -m scratchnet.exercises      write each backward pass yourself, and get it graded

The article's experiment lives in scratchnet/article/; the long explanations in docs/."""


def main() -> None:
    print(GUIDE.format(version=__version__))


if __name__ == "__main__":
    main()

"""What the window calls each choice, and the one-sentence explanation its tooltip gives.

Activations, losses, optimizers and data sources carry their own label and tip in their records
(core.nn.*, core.data.sources); the tables here are for the closed choices and the controls."""

from __future__ import annotations

from core.spec import Feature, Norm, RegularizationKind, ScheduleKind, Task

FEATURE_LABELS: dict[Feature, str] = {
    Feature.x1: "x₁",
    Feature.x2: "x₂",
    Feature.x1_squared: "x₁²",
    Feature.x2_squared: "x₂²",
    Feature.x1_times_x2: "x₁·x₂",
    Feature.sin_x1: "sin x₁",
    Feature.sin_x2: "sin x₂",
}

FEATURE_TIPS: dict[Feature, str] = {
    Feature.x1: "The horizontal coordinate of each point, fed to the network as is.",
    Feature.x2: "The vertical coordinate of each point, fed to the network as is.",
    Feature.x1_squared: "x₁ squared: lets even a single neuron draw boundaries symmetric about x₁ = 0.",
    Feature.x2_squared: "x₂ squared: lets even a single neuron draw boundaries symmetric about x₂ = 0.",
    Feature.x1_times_x2: "The product x₁·x₂: positive in two opposite quadrants, the key to XOR.",
    Feature.sin_x1: "sin x₁: a wave along x₁, handy for spirals and other repeating patterns.",
    Feature.sin_x2: "sin x₂: a wave along x₂, handy for spirals and other repeating patterns.",
}


ACTIVATION_TIP = ("The activation bends each neuron's output; without one (Linear) the whole network "
                  "can only draw straight boundaries. Applies to every hidden layer.")

LOSS_TIP = ("The loss measures how wrong the predictions are; training moves the weights to make "
            "it smaller (cross-entropy for classes, squared error for values).")

OPTIMIZER_TIP = ("The optimizer decides how each step moves the weights: SGD follows the gradient, "
                 "Adam adapts the step size per weight.")

REGULARIZATION_LABELS: dict[RegularizationKind, str] = {
    RegularizationKind.none: "None", RegularizationKind.l1: "L1", RegularizationKind.l2: "L2",
}
REGULARIZATION_TIP = ("Regularisation penalises large weights: L2 shrinks all of them smoothly, L1 "
                      "pushes unhelpful ones to exactly zero; both fight overfitting.")
REG_RATE_TIP = "How strongly the L1/L2 penalty counts against the loss; applies at once, no reset."

SCHEDULE_LABELS: dict[ScheduleKind, str] = {
    ScheduleKind.none: "Constant", ScheduleKind.step: "Step decay", ScheduleKind.cosine: "Cosine",
    ScheduleKind.exponential: "Exponential",
}
SCHEDULE_TIP = ("The learning-rate schedule lowers the step size as training goes on, so the "
                "weights settle instead of bouncing around the minimum.")

TASK_LABELS: dict[Task, str] = {Task.classification: "Classification", Task.regression: "Regression",
                                Task.autoencoder: "Autoencoder"}
TASK_TIP = ("Classification predicts which class a point belongs to; regression predicts a number. "
            "Switching picks a data set of that kind. An autoencoder rebuilds its inputs through its "
            "narrowest layer (the latent code) on the data set shown; its labels only colour the dots.")

NORM_LABELS: dict[Norm, str] = {Norm.none: "None", Norm.batch: "Batch norm", Norm.layer: "Layer norm"}

LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
BATCH_TIP = ("How many points each weight update looks at: small batches give noisy, frequent steps; "
             "large ones smooth, fewer steps. Applies at once, no reset.")
LR_TIP = ("The learning rate is the size of each weight update: too small learns slowly, too large "
          "overshoots and can diverge. Applies at once, no reset.")
NOISE_TIP = "How much random jitter is added to each point; more noise makes the classes overlap."
TRAIN_RATIO_TIP = ("The share of points used for training; the rest are held out as a test set to "
                   "show how well the network generalises.")
DEVICE_TIP = "Where the network is trained: the CPU, or a GPU when one is available."
PLAY_TIP = "Start or pause training (Space)."
STEP_TIP = "Train for exactly one epoch, one pass over the training data (S or →)."
RESET_TIP = "Start again from fresh random weights at epoch 0 (R)."
REGENERATE_TIP = "Draw a new random sample of the data set (a new seed); resets the weights."
SAMPLES_TIP = "How many points the 2-D data set has (train and test together)."
EPOCH_TIP = "Epochs trained so far: one epoch is one pass over all training points."
RATE_TIP = ("Training speed over the last second: epochs (passes over the training data) per second; "
            "the status bar adds steps (weight updates, one per batch).")


def format_rate(value: float) -> str:
    """0.003 -> '0.003', 1e-05 -> '0.00001': the way TF Playground lists rates."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"

# The speed limit: (label, epochs per second; 0 = no limit). TF Playground shows about 60 epochs/s.
SPEEDS = (("Max speed", 0.0), ("1000/s", 1000.0), ("100/s", 100.0), ("30/s", 30.0), ("10/s", 10.0), ("1/s", 1.0))
SPEED_TIP = ("Epochs per second at most: slow training down to watch the boundary form epoch by epoch "
             "(Max trains as fast as the machine can). Applies at once, no reset.")

"""Rasa's neural models loaded without a training step.

To load DIET, Rasa builds an empty model, traces and runs one *training* step
on an example (only so that every weight exists with its size), then
overwrites the weights from the model file. Tracing that step was three
quarters of the Rasa server's start-up (about 70 of 95 s here,
docs/performance.md). TensorFlow can restore a weight at the moment it is
created ("deferred restoration"), so `install()` loads the weights into the
empty model first and lets the one prediction Rasa runs anyway (to trace the
prediction function) create them: the same weights, the same predictions.
Loading a model to train it further (fine-tuning) goes Rasa's way.

Wrapped once, at start-up of `python -m bot` (bot/__main__.py), never on import.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional, Text

import tensorflow as tf
from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

from bot import patching

logger = logging.getLogger(__name__)


def install() -> None:
    """Replaces RasaModel.load."""
    patching.wrap(RasaModel, "load", restoring_on_creation)


def restoring_on_creation(original: Callable[..., RasaModel]) -> Callable[..., RasaModel]:
    def load(
        cls: Any,
        model_file_name: Text,
        model_data_example: RasaModelData,
        predict_data_example: Optional[RasaModelData] = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        if finetune_mode or predict_data_example is None:
            return original(
                cls, model_file_name, model_data_example, predict_data_example,
                finetune_mode, *args, **kwargs,
            )  # fmt: skip
        model = cls(*args, **kwargs)
        config = kwargs.get("config", {})
        model.compile(
            optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
            run_eagerly=config.get(RUN_EAGERLY),
        )
        # The file also holds the optimizer's state, which serving never creates.
        model.load_weights(model_file_name).expect_partial()
        model.run_inference(predict_data_example)  # creates, and so restores, the weights
        logger.debug("loaded %s without a training step", model_file_name)
        return model

    return load

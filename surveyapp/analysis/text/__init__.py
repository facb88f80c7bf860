"""Chinese complaint text: tokenisation, issue classification, abstention, keywords."""

from surveyapp.analysis.text.abstention import choose_threshold, coverage_accuracy_curve
from surveyapp.analysis.text.classifier import (
    TrainedModel,
    build_pipeline,
    evaluate,
    fit_threshold,
    predict,
    texts_from_frame,
    train,
)
from surveyapp.analysis.text.keywords import top_keywords
from surveyapp.analysis.text.model_card import (
    ModelVersionWarning,
    load_model,
    save_model,
)
from surveyapp.analysis.text.tokenize import normalize, tokenize, warm_up

__all__ = [
    "ModelVersionWarning",
    "TrainedModel",
    "build_pipeline",
    "choose_threshold",
    "coverage_accuracy_curve",
    "evaluate",
    "fit_threshold",
    "load_model",
    "normalize",
    "predict",
    "save_model",
    "texts_from_frame",
    "tokenize",
    "top_keywords",
    "train",
    "warm_up",
]

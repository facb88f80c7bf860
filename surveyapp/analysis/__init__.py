"""Pure analysis code: numpy, pandas, scikit-learn and jieba; no Flask, no models."""

from surveyapp.analysis.design import Estimate, SurveyDesign

__all__ = ["Estimate", "SurveyDesign"]

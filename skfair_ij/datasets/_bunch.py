"""What the bundled loaders return, built one way."""

import numpy as np
import pandas as pd
from sklearn.utils import Bunch


def loaded(
    frame, target, sensitive, *, numeric, categorical, target_names, descr, as_frame, return_X_y
):
    """The raw frame, or its numeric columns then the one-hot codes of the
    categorical ones as a float64 array; as ``(data, target)`` or a Bunch."""
    if as_frame:
        data, feature_names = frame, list(frame.columns)
    else:
        encoded = pd.get_dummies(frame[categorical], prefix_sep="=", dtype=np.float64)
        data_frame = pd.concat([frame[numeric].astype(np.float64), encoded], axis=1)
        feature_names = list(data_frame.columns)
        data, target, sensitive = data_frame.to_numpy(), target.to_numpy(), sensitive.to_numpy()
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        sensitive=sensitive,
        feature_names=feature_names,
        target_names=target_names,
        frame=pd.concat([frame, pd.Series(target, name=target.name)], axis=1) if as_frame else None,
        DESCR=descr,
    )

"""The article's experiment, built on the lesson: BCE against focal loss on 99:1 data.

    data        the article's data set and its 70/30 split
    evaluation  test-set metrics from scikit-learn
    experiment  the article's network, trained with one loss or with both
    seed_study  the same comparison over many initialisations, with its statistics
    plots       the figures of demo.py and study.py
    animation   demo.py --animate: both networks after every step, as a GIF
    cli         the command-line flags those two scripts share

The lesson (``scratchnet``'s own modules) never imports this subpackage.
"""

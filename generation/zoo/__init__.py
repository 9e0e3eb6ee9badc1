"""The model zoo: one small PyTorch implementation per generative family, trained on 8x8 digits or names.

Plain PyTorch, no Django. Entry points: ``generation.zoo.demos`` (what the generation app calls),
``generation.zoo.registry`` (name -> family, code, checkpoint) and the CLI ``python -m generation.zoo``.
"""

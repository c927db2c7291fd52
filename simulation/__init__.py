"""Barrios: an agent-based model of violence prevention in Quito's barrios (Mesa 3.5)."""

from simulation.config import Scenario
from simulation.model import BarriosModel

__all__ = ["BarriosModel", "Scenario"]

import Planner

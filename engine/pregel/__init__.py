"""The super-step (Pregel / BSP) machinery: plan a step, run its tasks, apply their writes."""

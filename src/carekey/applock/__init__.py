"""App lock: the portal locks itself when the patient steps away."""

"""estate-billing: the monthly billing batch service of a property-management company.

See ARCHITECTURE.md for the flow and the dependency rule between the sub-packages.
"""

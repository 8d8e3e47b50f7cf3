"""Pure types of the billing domain: money, periods, units, meters, tariffs, bills, problems.

Imports nothing of ours. Records are frozen, slotted, keyword-only dataclasses; amounts,
rates and quantities are `Decimal`, never float.
"""

module github.com/closeloop/closeloop/services/sales

go 1.26.0

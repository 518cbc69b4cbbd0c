module github.com/closeloop/closeloop/services/marketing

go 1.26.0

module github.com/closeloop/closeloop/services/service

go 1.26.0
